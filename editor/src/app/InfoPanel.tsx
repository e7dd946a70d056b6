/** What the bundled demo model can do, how to add a real checkpoint, the models found, and what the server runs on. */
import { useEffect } from 'react';

import { isWidgetInput } from '../../../protocol/index.ts';
import { useGraph } from '../graph/store.ts';
import { formatBytes } from '../nodes/NodeStats.tsx';
import { refreshSystem } from './session.ts';
import { useUi } from './ui-store.ts';

/** Model files the loaders offer (their choice options, as the server listed them). */
function useModelFiles(): string[] {
  return useGraph((s) => {
    const files: string[] = [];
    for (const [type, input] of [['CheckpointLoaderSimple', 'ckpt_name'], ['DiffusersLoader', 'model_path']] as const) {
      const def = s.catalog.get(type)?.inputs.find((i) => i.name === input);
      if (def && isWidgetInput(def) && def.kind === 'choice') files.push(...def.options.map((o) => (type === 'DiffusersLoader' ? `${o}/ (diffusers)` : o)));
    }
    return files.join('\n');
  })
    .split('\n')
    .filter(Boolean);
}

const bytes = (value: number | undefined) => (value === undefined ? '—' : formatBytes(value));

export function InfoPanel() {
  const system = useUi((s) => s.system);
  const models = useModelFiles();
  useEffect(() => void refreshSystem(), []);
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
        Put a Stable Diffusion 1.5 checkpoint (<code>.safetensors</code>) in <code>&lt;models&gt;/checkpoints</code>, or a diffusers folder in{' '}
        <code>&lt;models&gt;/diffusers</code>, then reload this page: it appears in the loader's list. Use 512×512 latents; with <code>attention: flash</code>{' '}
        large images fit in far less memory.
      </p>
      <h2>Models found</h2>
      {models.length === 0 ? <p className="lf-meta">No model files found.</p> : <ul>{models.map((m) => <li key={m}>{m}</li>)}</ul>}
      <h2>This server</h2>
      {system ? (
        <dl>
          {system.cpu && (
            <>
              <dt>CPU</dt>
              <dd>
                {system.cpu.model ?? 'unknown'} · {system.cpu.cores ?? '?'} cores · engine threads {system.cpu.engineThreads ?? '?'}
                {system.cpu.features && ` · ${Object.entries(system.cpu.features).filter(([, on]) => on).map(([name]) => name).join(', ') || 'no SIMD'}`}
                {system.cpu.isa && ` · ${system.cpu.isa} kernels`}
              </dd>
            </>
          )}
          {system.memory && (
            <>
              <dt>Memory</dt>
              <dd>
                {bytes(system.memory.freeBytes)} free of {bytes(system.memory.totalBytes)} · server {bytes(system.memory.rssBytes)}
              </dd>
            </>
          )}
          {system.native && (
            <>
              <dt>Engine</dt>
              <dd>
                weights {bytes(system.native.weightsCurrent)} · mapped {bytes(system.native.mappedCurrent)} · activations peak {bytes(system.native.activationsPeak)}
              </dd>
            </>
          )}
          {system.cache && (
            <>
              <dt>Cache</dt>
              <dd>
                {system.cache.entries ?? 0} results · {bytes(system.cache.bytes)}
              </dd>
            </>
          )}
          {system.version && (
            <>
              <dt>Version</dt>
              <dd>{system.version}</dd>
            </>
          )}
        </dl>
      ) : (
        <p className="lf-meta">System information is not available.</p>
      )}
    </section>
  );
}
