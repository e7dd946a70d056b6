import { setImmediate as nextTick } from 'node:timers/promises';

import { beforeEach, describe, expect, it } from 'vitest';

import { NodeRegistry } from '../../../nodes/registry.ts';
import { type AnyNodeDefinition, choice, defineNode as defineTypedNode, float, int, type Logger, socket, text } from '../../../nodes/schema.ts';
import type { ExecutionGraph } from '../../../protocol/index.ts';
import type { RunEvent } from '../../../protocol/index.ts';
// The stand-in node types here carry plain test values on their sockets (not real models or latents),
// so they are declared without the socket value types core nodes give MODEL, LATENT, ...
const defineNode = (definition: AnyNodeDefinition): AnyNodeDefinition => defineTypedNode(definition as never);

import { executeGraph, type ExecuteOptions, type MemoryProbe, NodeCache, NodeRunError, rssProbe, wrapNodeError } from '../../../server/runner/index.ts';
import { chain, chainRegistry } from '../../helpers/chain.ts';

// A txt2img-shaped pipeline over plain numbers: each node counts its runs so the tests can see what reran.
let runs: Record<string, number> = {};
let disposed: string[] = [];
let files = new Map<string, string>();
const ran = (type: string) => (runs[type] = (runs[type] ?? 0) + 1);

const nodes = [
  defineNode({
    type: 'Load',
    version: 1,
    category: 'test',
    description: 'A fake checkpoint loader.',
    inputs: { ckpt: text({ default: 'tiny' }) },
    outputs: { MODEL: socket('MODEL'), CLIP: socket('CLIP'), VAE: socket('VAE') },
    cache: { sizeBytes: () => 1000, dispose: (outputs) => void disposed.push(`Load:${(outputs.MODEL as unknown as { ckpt: string }).ckpt}`) },
    run(input, ctx) {
      ran('Load');
      ctx.log.info('loading');
      return { MODEL: { ckpt: input.ckpt }, CLIP: { ckpt: input.ckpt }, VAE: { ckpt: input.ckpt, models: ctx.services.paths?.models } };
    },
  }),
  defineNode({
    type: 'Encode',
    version: 1,
    category: 'test',
    description: 'A fake text encoder.',
    inputs: { clip: socket('CLIP'), text: text({ multiline: true }) },
    outputs: { CONDITIONING: socket('CONDITIONING') },
    run(input) {
      ran('Encode');
      return { CONDITIONING: input.text.length };
    },
  }),
  defineNode({
    type: 'Empty',
    version: 1,
    category: 'test',
    description: 'A zero latent.',
    inputs: { width: int({ default: 4, min: 1 }) },
    outputs: { LATENT: socket('LATENT') },
    run(input) {
      ran('Empty');
      return { LATENT: new Float32Array(input.width) };
    },
  }),
  defineNode({
    type: 'Sample',
    version: 1,
    category: 'test',
    description: 'A fake sampler: reports progress per step, honours the signal unless told not to.',
    inputs: {
      model: socket('MODEL'),
      positive: socket('CONDITIONING'),
      negative: socket('CONDITIONING'),
      latent_image: socket('LATENT'),
      seed: int({ default: 0, min: 0 }),
      steps: int({ default: 4, min: 1, max: 1000 }),
      mode: choice(['ok', 'fail', 'native', 'ignore-signal', 'no-output'] as const, { default: 'ok' }),
    },
    outputs: { LATENT: socket('LATENT') },
    async run(input, ctx) {
      ran('Sample');
      if (input.mode === 'fail') throw new Error('the sampler exploded');
      if (input.mode === 'native') throw Object.assign(new Error('unet: latent has 3 channels, expected 4'), { code: 'SDN_STATUS_BAD_SHAPE' });
      for (let step = 1; step <= input.steps; step++) {
        if (input.mode !== 'ignore-signal') ctx.signal.throwIfAborted();
        await nextTick();
        ctx.progress(step, input.steps);
      }
      ctx.preview({ mime: 'image/png', width: 1, height: 1, data: new Uint8Array([1, 2, 3]) });
      ctx.stats({ steps: input.steps });
      if (input.mode === 'no-output') return {} as { LATENT: unknown };
      const latent = input.latent_image as Float32Array;
      return { LATENT: latent.map((v) => v + input.seed + (input.positive as number) - (input.negative as number)) };
    },
  }),
  defineNode({
    type: 'Decode',
    version: 1,
    category: 'test',
    description: 'A fake decoder.',
    inputs: { samples: socket('LATENT'), vae: socket('VAE'), scale: float({ default: 1 }) },
    outputs: { IMAGE: socket('IMAGE') },
    run(input) {
      ran('Decode');
      return { IMAGE: (input.samples as Float32Array).map((v) => v * input.scale) };
    },
  }),
  defineNode({
    type: 'Save',
    version: 1,
    category: 'test',
    description: 'Always runs (side effect), reports what it wrote.',
    inputs: { images: socket('IMAGE'), prefix: text({ default: 'out' }) },
    outputs: {},
    outputNode: true,
    cache: { enabled: false },
    run(input) {
      ran('Save');
      const sum = (input.images as Float32Array).reduce((a, b) => a + b, 0);
      return { ui: { images: [{ filename: `${input.prefix}_00001_.png`, sum }] } };
    },
  }),
  defineNode({
    type: 'Preview',
    version: 1,
    category: 'test',
    description: 'A cacheable output node.',
    inputs: { images: socket('IMAGE') },
    outputs: {},
    outputNode: true,
    run(input) {
      ran('Preview');
      return { ui: { length: (input.images as Float32Array).length } };
    },
  }),
  defineNode({
    type: 'ReadText',
    version: 1,
    category: 'test',
    description: 'Reads a "file"; its fingerprint is the file content version (ComfyUI IS_CHANGED).',
    inputs: { clip: socket('CLIP'), file: text() },
    outputs: { CONDITIONING: socket('CONDITIONING') },
    cache: { fingerprint: (widgets) => `v=${files.get(widgets.file)}` },
    run(input) {
      ran('ReadText');
      return { CONDITIONING: (files.get(input.file) ?? '').length };
    },
  }),
];

const registry = new NodeRegistry();
expect(registry.registerAll(nodes)).toEqual([]);

function txt2img(sampler: Record<string, unknown> = {}, decode: Record<string, unknown> = {}, save: Record<string, unknown> = {}): ExecutionGraph {
  return {
    '1': { class_type: 'Load', inputs: { ckpt: 'tiny' } },
    '2': { class_type: 'Encode', inputs: { clip: ['1', 1], text: 'a cat' } },
    '3': { class_type: 'Encode', inputs: { clip: ['1', 1], text: 'dog' } },
    '4': { class_type: 'Empty', inputs: { width: 4 } },
    '5': { class_type: 'Sample', inputs: { model: ['1', 0], positive: ['2', 0], negative: ['3', 0], latent_image: ['4', 0], seed: 7, steps: 4, ...sampler } },
    '6': { class_type: 'Decode', inputs: { samples: ['5', 0], vae: ['1', 2], ...decode } },
    '7': { class_type: 'Save', inputs: { images: ['6', 0], prefix: 'cat', ...save } },
    // Not connected to any output node: never runs.
    '8': { class_type: 'Decode', inputs: { samples: ['4', 0], vae: ['1', 2], scale: 3 } },
  };
}

/** Runs and records the events. */
async function run(graph: ExecutionGraph, options: ExecuteOptions = {}) {
  const events: RunEvent[] = [];
  const result = await executeGraph(graph, registry, {
    runId: 'r1',
    ...options,
    onEvent: (e) => {
      events.push(e);
      options.onEvent?.(e);
    },
  });
  return { result, events, types: events.map((e) => (('node' in e && e.node) ? `${e.type}:${e.node}` : e.type)) };
}

beforeEach(() => {
  runs = {};
  disposed = [];
  files = new Map();
});

describe('executeGraph', () => {
  it('runs what the output node needs, in order, and emits the events of a run', async () => {
    let begun = 0;
    const probe: MemoryProbe = { begin: () => void begun++, peakBytes: () => 4096 };
    const paths = { models: '/m', input: '/i', output: '/o', temp: '/t' };
    const { result, events, types } = await run(txt2img(), { memoryProbe: probe, services: { paths } });
    expect(types).toEqual([
      'execution_start',
      'execution_cached',
      ...['1', '2', '3', '4'].flatMap((id) => [`executing:${id}`, `stats:${id}`]),
      'executing:5',
      'progress:5',
      'progress:5',
      'progress:5',
      'progress:5',
      'preview:5',
      'stats:5',
      'executing:6',
      'stats:6',
      'executing:7',
      'stats:7',
      'executed:7',
      'execution_success',
    ]);
    expect(events.every((e) => e.runId === 'r1')).toBe(true);
    expect(events.filter((e) => e.type === 'progress').map((e) => e.type === 'progress' && [e.value, e.max])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
    expect(events.find((e) => e.type === 'execution_cached')).toMatchObject({ nodes: [] });
    // Latent 0 + seed 7 + "a cat".length 5 - "dog".length 3 = 9 per element, 4 elements.
    expect(events.find((e) => e.type === 'executed')).toMatchObject({ node: '7', nodeType: 'Save', cached: false, output: { images: [{ filename: 'cat_00001_.png', sum: 36 }] } });
    expect(events.find((e) => e.type === 'stats' && e.node === '5')).toMatchObject({ nodeType: 'Sample', peakBytes: 4096, extra: { steps: 4 } });
    for (const e of events) if (e.type === 'stats') expect(e.ms).toBeGreaterThanOrEqual(0);
    expect(begun).toBe(7);
    expect(result).toMatchObject({ status: 'success', issues: [], executed: ['1', '2', '3', '4', '5', '6', '7'], cached: [], outputs: { '7': { images: [{ sum: 36 }] } } });
    expect(runs).toEqual({ Load: 1, Encode: 2, Empty: 1, Sample: 1, Decode: 1, Save: 1 }); // node 8 never ran
  });

  it('reruns only the changed node and what follows: a downstream widget keeps the sampler cached', async () => {
    const cache = new NodeCache();
    await run(txt2img(), { cache });
    runs = {};
    const { result, events } = await run(txt2img({}, { scale: 2 }), { cache });
    expect(runs).toEqual({ Decode: 1, Save: 1 });
    expect(result.cached).toEqual(['1', '2', '3', '4', '5']);
    expect(events.find((e) => e.type === 'execution_cached')).toMatchObject({ nodes: ['1', '2', '3', '4', '5'] });
    expect(result.outputs['7']).toEqual({ images: [{ filename: 'cat_00001_.png', sum: 72 }] });

    runs = {};
    const seeded = await run(txt2img({ seed: 8 }, { scale: 2 }), { cache });
    expect(runs).toEqual({ Sample: 1, Decode: 1, Save: 1 });
    expect(seeded.result.cached).toEqual(['1', '2', '3', '4']);

    runs = {};
    const same = await run(txt2img({ seed: 8 }, { scale: 2 }), { cache });
    expect(runs).toEqual({ Save: 1 }); // caching disabled for Save; everything else is up to date
    expect(same.result.cached).toEqual(['1', '2', '3', '4', '5', '6']);
    // An explicit default equals an omitted one.
    runs = {};
    await run(txt2img({ seed: 8, mode: 'ok' }, { scale: 2 }), { cache });
    expect(runs).toEqual({ Save: 1 });
  });

  it('serves a cached output node from the cache and still reports its output', async () => {
    const cache = new NodeCache();
    const graph: ExecutionGraph = { ...txt2img(), '7': { class_type: 'Preview', inputs: { images: ['6', 0] } } };
    await run(graph, { cache });
    runs = {};
    const { result, types, events } = await run(graph, { cache });
    expect(runs).toEqual({});
    expect(types).toEqual(['execution_start', 'execution_cached', 'executed:7', 'execution_success']);
    expect(events[2]).toMatchObject({ type: 'executed', cached: true, output: { length: 4 } });
    expect(result.outputs).toEqual({ '7': { length: 4 } });
  });

  it('reruns a node whose fingerprint changed (a file on disk), and what follows', async () => {
    const cache = new NodeCache();
    files.set('prompt.txt', 'a cat');
    const graph = txt2img();
    graph['2'] = { class_type: 'ReadText', inputs: { clip: ['1', 1], file: 'prompt.txt' } };
    await run(graph, { cache });
    runs = {};
    await run(graph, { cache });
    expect(runs).toEqual({ Save: 1 });
    files.set('prompt.txt', 'a black cat');
    const { result } = await run(graph, { cache });
    expect(runs).toEqual({ Save: 2, ReadText: 1, Sample: 1, Decode: 1 });
    expect(result.outputs['7']).toEqual({ images: [{ filename: 'cat_00001_.png', sum: 4 * (7 + 11 - 3) }] });
  });

  it('wraps a node failure once with node id and type, keeps the cause, and keeps finished nodes cached', async () => {
    const cache = new NodeCache();
    const { result, events, types } = await run(txt2img({ mode: 'fail' }), { cache });
    expect(result.status).toBe('error');
    expect(result.issues).toEqual([{ code: 'node_failed', message: 'Sample #5: the sampler exploded', nodeId: '5', nodeType: 'Sample', details: { error: 'Error' } }]);
    expect(result.error).toBeInstanceOf(NodeRunError);
    expect((result.error!.cause as Error).message).toBe('the sampler exploded');
    expect(types.slice(-2)).toEqual(['executing:5', 'execution_error:5']);
    expect(events.at(-1)).toMatchObject({ type: 'execution_error', node: '5', nodeType: 'Sample', issues: [{ code: 'node_failed', nodeId: '5' }] });
    expect(types).not.toContain('execution_success');

    runs = {};
    const fixed = await run(txt2img(), { cache });
    expect(fixed.result.status).toBe('success');
    expect(runs).toEqual({ Sample: 1, Decode: 1, Save: 1 });
  });

  it('reports engine errors as native_failed with the status', async () => {
    const { result } = await run(txt2img({ mode: 'native' }));
    expect(result.issues).toEqual([
      { code: 'native_failed', message: 'Sample #5: unet: latent has 3 channels, expected 4', nodeId: '5', nodeType: 'Sample', details: { status: 'SDN_STATUS_BAD_SHAPE', error: 'Error' } },
    ]);
    expect((result.error!.cause as { code: string }).code).toBe('SDN_STATUS_BAD_SHAPE');
    // An error that is already wrapped is not wrapped again.
    expect(wrapNodeError(result.error, '9', 'Other')).toBe(result.error);
  });

  it('wraps a failing fingerprint with its node', async () => {
    const graph = txt2img();
    graph['2'] = { class_type: 'ReadText', inputs: { clip: ['1', 1], file: 'prompt.txt' } };
    files = { get: () => { throw new Error('prompt.txt: permission denied'); } } as unknown as Map<string, string>;
    const { result, types } = await run(graph, { cache: new NodeCache() });
    expect(result.issues).toMatchObject([{ code: 'node_failed', nodeId: '2', nodeType: 'ReadText', message: 'ReadText #2: prompt.txt: permission denied' }]);
    expect(types).toEqual(['execution_start', 'execution_error:2']);
  });

  it('fails a node that does not return every declared output', async () => {
    const { result } = await run(txt2img({ mode: 'no-output' }));
    expect(result.issues[0]).toMatchObject({ code: 'node_failed', nodeId: '5', nodeType: 'Sample' });
    expect(result.issues[0].message).toContain('"LATENT"');
  });

  it('refuses an invalid workflow before running anything, with every issue', async () => {
    const graph = txt2img({ steps: 0, seed: -1 });
    const { result, events } = await run(graph);
    expect(result.status).toBe('invalid');
    expect(result.issues.map((i) => [i.code, i.nodeId, i.input])).toEqual([
      ['value_out_of_range', '5', 'seed'],
      ['value_out_of_range', '5', 'steps'],
    ]);
    expect(events).toEqual([{ type: 'execution_error', runId: 'r1', node: null, nodeType: null, message: result.issues[0].message, issues: result.issues }]);
    expect(runs).toEqual({});
  });

  it('interrupts inside a node that honours the signal, then a rerun succeeds and reuses what finished', async () => {
    const cache = new NodeCache();
    const controller = new AbortController();
    const first = await run(txt2img({ steps: 50 }), {
      cache,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.value === 3) controller.abort();
      },
    });
    expect(first.result.status).toBe('interrupted');
    expect(first.types.filter((t) => t === 'progress:5')).toHaveLength(3);
    expect(first.types.slice(-2)).toEqual(['progress:5', 'execution_interrupted:5']);
    expect(first.events.at(-1)).toMatchObject({ type: 'execution_interrupted', node: '5', nodeType: 'Sample', executed: ['1', '2', '3', '4'] });
    expect(runs).toEqual({ Load: 1, Encode: 2, Empty: 1, Sample: 1 });

    runs = {};
    const second = await run(txt2img({ steps: 50 }), { cache, signal: new AbortController().signal });
    expect(second.result.status).toBe('success');
    expect(second.types.filter((t) => t === 'progress:5')).toHaveLength(50);
    expect(runs).toEqual({ Sample: 1, Decode: 1, Save: 1 });
  });

  it('stops at the next node boundary when a node ignores the signal, keeping its result', async () => {
    const cache = new NodeCache();
    const controller = new AbortController();
    const first = await run(txt2img({ mode: 'ignore-signal' }), {
      cache,
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && e.value === 2) controller.abort();
      },
    });
    expect(first.result.status).toBe('interrupted');
    expect(first.events.at(-1)).toMatchObject({ type: 'execution_interrupted', node: '6', executed: ['1', '2', '3', '4', '5'] });
    expect(first.types).not.toContain('executing:6');
    runs = {};
    const second = await run(txt2img({ mode: 'ignore-signal' }), { cache });
    expect(second.result.status).toBe('success');
    expect(runs).toEqual({ Decode: 1, Save: 1 });
  });

  it('reports peak bytes from the probe it is given, null without one', async () => {
    const plain = await run(txt2img());
    const withRss = await run(txt2img(), { memoryProbe: rssProbe() });
    const peaks = (events: RunEvent[]) => events.flatMap((e) => (e.type === 'stats' ? [e.peakBytes] : []));
    expect(peaks(plain.events)).toEqual(Array(7).fill(null));
    for (const peak of peaks(withRss.events)) expect(peak).toBeGreaterThan(1 << 20);
  });

  it('runs everything again without a cache', async () => {
    await run(txt2img());
    await run(txt2img());
    expect(runs).toEqual({ Load: 2, Encode: 4, Empty: 2, Sample: 2, Decode: 2, Save: 2 });
  });

  it('frees evicted results (dispose) after the run, never under it', async () => {
    const cache = new NodeCache({ maxEntries: 2 });
    let finished = false;
    let disposedWhileRunning = false;
    const { result } = await run(txt2img(), {
      cache,
      onEvent: (e) => {
        if (disposed.length > 0 && !finished) disposedWhileRunning = true;
        if (e.type === 'execution_success') finished = true;
      },
    });
    expect(result.status).toBe('success');
    expect(disposedWhileRunning).toBe(false);
    expect(disposed).toEqual(['Load:tiny']);
    expect(cache.size).toBe(2);
  });

  it('survives a throwing event listener and prefixes node logs with the node', async () => {
    const logged: string[] = [];
    const logger: Logger = { debug() {}, info: (m) => logged.push(m), warn() {}, error: (m) => logged.push(m) };
    const { result } = await run(txt2img(), {
      logger,
      onEvent: (e) => {
        if (e.type === 'executing') throw new Error('listener bug');
      },
    });
    expect(result.status).toBe('success');
    expect(logged).toContain('Load #1: loading');
    expect(logged.filter((m) => m.includes('"executing"'))).toHaveLength(7);
  });

  it('executes a 10,000-node chain, then serves it all from the cache (its time: npm run bench:overheads)', async () => {
    const registry = chainRegistry();
    const graph = chain(10_000, 0);
    const small = await executeGraph(graph, registry, { cache: new NodeCache({ maxEntries: 8 }) });
    expect(small.outputs['9999']).toEqual({ value: 9_998 });
    const cache = new NodeCache({ maxEntries: 20_000 });
    const result = await executeGraph(graph, registry, { cache });
    expect(result.status).toBe('success');
    expect(result.outputs['9999']).toEqual({ value: 9_998 });
    const again = await executeGraph(graph, registry, { cache });
    expect(again.executed).toEqual([]);
    expect(again.cached).toHaveLength(10_000);
  });
});
