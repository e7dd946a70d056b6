// Every workflow shipped in workflows/ validates against the catalog and runs on the demo model
// (models/, as a fresh install has it); the default one makes the picture its prompt asks for.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import { parseWorkflow } from '../../protocol/index.ts';
import type { RunEvent } from '../../protocol/index.ts';
import { REPO_ROOT } from '../../server/config.ts';
import { createHost, nativeMemoryProbe, seedExampleInputs } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';
import { applyOverrides } from '../../server/runner/overrides.ts';
import { validateGraph } from '../../server/runner/validate.ts';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-workflows-'));
const host = createHost({ dataDir, modelsDir: path.join(REPO_ROOT, 'models') });
seedExampleInputs(host.paths.input, REPO_ROOT);
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const shipped = fs.readdirSync(path.join(REPO_ROOT, 'workflows')).filter((f) => f.endsWith('.json'));

function load(name: string) {
  const json = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'workflows', name), 'utf8'));
  const parsed = parseWorkflow(json, host.registry);
  expect(parsed.issues).toEqual([]);
  return parsed.graph!;
}

async function run(graph: ReturnType<typeof load>, overrides: Record<string, unknown> = {}) {
  const events: RunEvent[] = [];
  const prepared = applyOverrides(graph, overrides);
  expect(prepared.issues).toEqual([]);
  const result = await executeGraph(prepared.graph, host.registry, {
    cache: host.cache,
    memoryProbe: nativeMemoryProbe,
    services: { paths: host.paths, run: { prompt: prepared.graph } },
    onEvent: (e) => events.push(e),
  });
  expect(result.issues).toEqual([]);
  expect(result.status).toBe('success');
  const images = Object.values(result.outputs).flatMap((ui) => (ui.images as { filename: string; subfolder: string }[]) ?? []);
  return { events, files: images.map((i) => path.join(host.paths.output, i.subfolder, i.filename)) };
}

describe('shipped workflows', () => {
  it('ships the four example workflows', () => {
    expect(shipped.sort()).toEqual(['img2img.json', 'large-flash.json', 'tiled-vae.json', 'txt2img.json']);
  });

  it.each(shipped)('%s validates against the catalog with the shipped models', (name) => {
    expect(validateGraph(load(name), host.registry, { paths: host.paths })).toEqual([]);
  });

  it('txt2img (the default) draws what the prompt says: a yellow square in the middle, on the demo model', async () => {
    const { files } = await run(load('txt2img.json'));
    const png = decodePng(fs.readFileSync(files[0]));
    expect([png.width, png.height]).toEqual([64, 64]);
    // Mean colour of the central 16x16 pixels: yellow = red and green high, blue low.
    let r = 0, g = 0, b = 0;
    for (let y = 24; y < 40; y++)
      for (let x = 24; x < 40; x++) {
        const o = (y * 64 + x) * 3;
        r += png.data[o]; g += png.data[o + 1]; b += png.data[o + 2];
      }
    [r, g, b] = [r / 256, g / 256, b / 256];
    expect(r).toBeGreaterThan(150);
    expect(g).toBeGreaterThan(150);
    expect(b).toBeLessThan(Math.min(r, g) - 60);
  });

  it('a rerun with a new seed reruns only the sampler and what follows (loader and text encoders cached)', async () => {
    const graph = load('txt2img.json');
    await run(graph, { '3.steps': 2 });
    const { events } = await run(graph, { '3.steps': 2, '3.seed': 1234 });
    const cached = events.find((e) => e.type === 'execution_cached') as Extract<RunEvent, { type: 'execution_cached' }>;
    expect(cached.nodes.sort()).toEqual(['4', '5', '6', '7']);
    const executing = events.filter((e) => e.type === 'executing').map((e) => (e as { node: string }).node);
    expect(executing).toEqual(['3', '8', '9']);
  });

  it('large-flash runs at 512x512 with flash attention', async () => {
    const { files, events } = await run(load('large-flash.json'), { '3.steps': 2 });
    expect(decodePng(fs.readFileSync(files[0])).width).toBe(512);
    const stats = events.find((e) => e.type === 'stats' && e.node === '3') as Extract<RunEvent, { type: 'stats' }>;
    // Naive attention would hold 2 x 8 x 4096^2 floats of scores (1 GiB) at this size; flash holds tiles.
    expect(stats.extra.naiveScoreBytes).toBe(2 * 8 * 4096 * 4096 * 4);
    expect(stats.peakBytes!).toBeLessThan(stats.extra.naiveScoreBytes / 4);
  });

  it('tiled-vae decodes in tiles', async () => {
    const { files, events } = await run(load('tiled-vae.json'), { '3.steps': 2 });
    expect(decodePng(fs.readFileSync(files[0])).width).toBe(256);
    expect(events.filter((e) => e.type === 'progress' && e.node === '8').length).toBeGreaterThan(1);
  });

  it('img2img starts from the shipped example picture', async () => {
    const { files } = await run(load('img2img.json'), { '3.steps': 4 });
    expect(decodePng(fs.readFileSync(files[0])).width).toBe(64);
  });
});
