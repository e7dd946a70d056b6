/** What the bundled demo model can do, how to add a real checkpoint, and what the server runs on. */
import { useEffect } from 'react';

import { formatBytes } from '../nodes/NodeStats.tsx';
import { refreshSystem } from './controller.ts';
import { useUi } from './ui-store.ts';

function describe(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function InfoPanel() {
  const system = useUi((s) => s.system);
  useEffect(() => void refreshSystem(), []);
  const memory = system?.memory as Record<string, unknown> | undefined;
  const models = Array.isArray(system?.models) ? system!.models : [];
  return (
    <section className="lf-info" aria-label="About">
      <h2>The demo model</h2>
      <p>
        A fresh install ships <strong>shapes-sd</strong>, a tiny Stable Diffusion 1.x model trained on simple pictures. It draws one shape on a plain
        background at <strong>64×64</strong> pixels, in seconds on a CPU:
      </p>
      <ul>
        <li>8 colours: red, orange, yellow, green, blue, purple, white, black</li>
        <li>3 shapes: circle, square, triangle</li>
        <li>2 sizes: small, large</li>
      </ul>
      <p>
        Try prompts like <q>a large yellow square on a purple background</q> or <q>a small red circle on a white background</q>. Keep EmptyLatentImage at
        64×64.
      </p>
      <h2>A real model</h2>
      <p>
        Put a Stable Diffusion 1.5 checkpoint (<code>.safetensors</code>) in <code>&lt;models&gt;/checkpoints</code> (or a diffusers folder in{' '}
        <code>&lt;models&gt;/diffusers</code>), then reload this page: it appears in the loader's model list. Use 512×512 latents; with{' '}
        <code>attention: flash</code> large images fit in far less memory.
      </p>
      <h2>This server</h2>
      {system ? (
        <dl>
          <dt>CPU</dt>
          <dd>{describe(system.cpu)}</dd>
          {memory && (
            <>
              <dt>Memory</dt>
              <dd>
                {Object.entries(memory)
                  .map(([k, v]) => `${k}: ${typeof v === 'number' && v > 4096 ? formatBytes(v) : describe(v)}`)
                  .join(' · ')}
              </dd>
            </>
          )}
          {system.native && (
            <>
              <dt>Engine</dt>
              <dd>
                {Object.entries(system.native)
                  .map(([k, v]) => `${k}: ${typeof v === 'number' && /bytes|peak|current/i.test(k) ? formatBytes(v) : describe(v)}`)
                  .join(' · ')}
              </dd>
            </>
          )}
          <dt>Models</dt>
          <dd>{models.length === 0 ? 'none found' : models.map((m) => (typeof m === 'string' ? m : describe((m as { name?: string }).name ?? m))).join(', ')}</dd>
        </dl>
      ) : (
        <p className="lf-meta">System information is not available.</p>
      )}
    </section>
  );
}
