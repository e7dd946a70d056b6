import path from 'node:path';

import { beforeEach, describe, expect, it } from 'vitest';

import { expandSubgraphs, loadPacks, mapIssueToOuter } from '../../../nodes/packs/index.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import type { ExecutionGraph, Issue, RunEvent } from '../../../protocol/index.ts';
import { executeGraph, NodeCache, validateGraph } from '../../../server/runner/index.ts';
import { addMul, coreStandIns, nested, numberRegistry, registerSubgraphs, resetRuns, runs } from './helpers.ts';

const EXAMPLES = path.resolve(import.meta.dirname, '../../../examples/packs');

function registry(): NodeRegistry {
  const r = numberRegistry();
  registerSubgraphs(r, 't', [addMul, nested]);
  return r;
}

/** 1 = 5, 2 = 7, 3 = AddMul(x: 1, y: 2, bias: 4), 4 shows its PRODUCT. */
const simple: ExecutionGraph = {
  '1': { class_type: 'Num', inputs: { value: 5 } },
  '2': { class_type: 'Num', inputs: { value: 7 } },
  '3': { class_type: 't/AddMul', inputs: { x: ['1', 0], y: ['2', 0], bias: 4 } },
  '4': { class_type: 'Out', inputs: { value: ['3', 1] } },
};

beforeEach(resetRuns);

describe('expandSubgraphs', () => {
  it('replaces a subgraph node by its inner nodes: ids namespaced, links rewired, values injected, defaults filled', () => {
    const { graph, origins, issues } = expandSubgraphs(simple, registry());
    expect(issues).toEqual([]);
    expect(graph).toEqual({
      '1': { class_type: 'Num', inputs: { value: 5 } },
      '2': { class_type: 'Num', inputs: { value: 7 } },
      '3/1': { class_type: 'Add', inputs: { a: ['1', 0], b: ['2', 0], bias: 4 } },
      '3/2': { class_type: 'Mul', inputs: { a: ['3/1', 0], factor: 2 } }, // declared default 2 beats the fragment's 1
      '4': { class_type: 'Out', inputs: { value: ['3/2', 0] } }, // PRODUCT comes from inner node 2
    });
    expect(origins.get('3/1')).toEqual({ outerId: '3', outerType: 't/AddMul', chain: [{ id: '3', type: 't/AddMul' }], inputs: { a: 'x', b: 'y', bias: 'bias' } });
    expect(origins.get('3/2')?.inputs).toEqual({ factor: 'factor' });
    expect(origins.has('1')).toBe(false);
    // The input graph is not modified.
    expect(simple['4'].inputs.value).toEqual(['3', 1]);
  });

  it('expands nested subgraphs, resolving pack-local type names, and chains output redirects', () => {
    const graph: ExecutionGraph = {
      '1': { class_type: 'Num', inputs: { value: 2 } },
      '5': { class_type: 't/Nested', inputs: { x: ['1', 0], k: 3 } },
      '6': { class_type: 'Out', inputs: { value: ['5', 0] } },
    };
    const { graph: out, origins, issues } = expandSubgraphs(graph, registry());
    expect(issues).toEqual([]);
    expect(Object.keys(out).sort()).toEqual(['1', '5/a/1', '5/a/2', '5/n', '6']);
    expect(out['5/n']).toEqual({ class_type: 'Num', inputs: { value: 10 } });
    expect(out['5/a/1']).toEqual({ class_type: 'Add', inputs: { a: ['1', 0], b: ['5/n', 0], bias: 3 } });
    expect(out['5/a/2']).toEqual({ class_type: 'Mul', inputs: { a: ['5/a/1', 0], factor: 3 } });
    expect(out['6'].inputs.value).toEqual(['5/a/2', 0]);
    expect(origins.get('5/a/1')).toEqual({
      outerId: '5',
      outerType: 't/Nested',
      chain: [
        { id: '5', type: 't/Nested' },
        { id: '5/a', type: 't/AddMul' },
      ],
      inputs: { a: 'x', bias: 'k' }, // b is fed from inside Nested, not from the outer node
    });
  });

  it('refuses a subgraph that contains itself, directly or through another, naming the chain', () => {
    const r = numberRegistry();
    const loop = (type: string, inner: string) => ({
      type,
      inputs: [],
      outputs: [{ name: 'OUT', type: 'LATENT', from: { node: '1', output: 0 } }],
      workflow: { '1': { class_type: inner, inputs: {} } },
    });
    registerSubgraphs(r, 'rec', [loop('Self', 'Self'), loop('Ping', 'Pong'), loop('Pong', 'Ping')]);
    for (const [type, chain] of [
      ['rec/Self', ['rec/Self', 'rec/Self']],
      ['rec/Ping', ['rec/Ping', 'rec/Pong', 'rec/Ping']],
    ] as const) {
      const { issues } = expandSubgraphs({ '7': { class_type: type, inputs: {} }, '8': { class_type: 'Out', inputs: { value: ['7', 0] } } }, r);
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ code: 'cycle', nodeId: '7', nodeType: type, details: { reason: 'subgraph_recursion', types: chain } });
      const result = validateGraph({ '7': { class_type: type, inputs: {} }, '8': { class_type: 'Out', inputs: { value: ['7', 0] } } }, r);
      expect(result.map((i) => [i.code, i.nodeId])).toEqual([['cycle', '7']]);
    }
  });

  it('refuses an inner id that clashes with an existing one, and a graph beyond the node limit', () => {
    const clash = { ...simple, '3/1': { class_type: 'Num', inputs: {} } };
    const { issues } = expandSubgraphs(clash, registry());
    expect(issues).toMatchObject([{ code: 'workflow_invalid', nodeId: '3', details: { reason: 'id_clash', id: '3/1' } }]);
    const big = expandSubgraphs(simple, registry(), { maxNodes: 5 });
    expect(big.issues).toMatchObject([{ code: 'workflow_invalid', nodeId: '3', details: { reason: 'subgraph_too_large' } }]);
  });

  it('puts an inner issue on the outer node, mapping the input name', () => {
    const { origins } = expandSubgraphs(simple, registry());
    const inner: Issue = { code: 'value_out_of_range', message: 'Add #3/1: "bias" is 50, above the maximum 10.', nodeId: '3/1', nodeType: 'Add', input: 'bias', details: { max: 10 } };
    expect(mapIssueToOuter(inner, origins)).toEqual({
      code: 'value_out_of_range',
      message: 't/AddMul #3 (inner Add #3/1): "bias" is 50, above the maximum 10.',
      nodeId: '3',
      nodeType: 't/AddMul',
      input: 'bias',
      details: { max: 10, innerNode: '3/1', innerNodeType: 'Add', innerInput: 'bias', subgraphs: ['t/AddMul'] },
    });
    const outer: Issue = { code: 'cycle', message: 'x', nodeId: '1' };
    expect(mapIssueToOuter(outer, origins)).toBe(outer);
  });
});

describe('validateGraph with subgraph nodes', () => {
  it('accepts a valid graph and reports what the user gave the subgraph node on it, under its declared names', () => {
    const r = registry();
    expect(validateGraph(simple, r)).toEqual([]);
    const bad = { ...simple, '3': { class_type: 't/AddMul', inputs: { x: ['1', 0], bias: 101, nope: 1 } } };
    const issues = validateGraph(bad, r);
    expect(issues.map((i) => [i.code, i.nodeId, i.input])).toEqual([
      ['input_unknown', '3', 'nope'],
      ['input_missing', '3', 'y'],
      ['value_out_of_range', '3', 'bias'], // the declared max 100
    ]);
  });

  it('reports an inner node problem on the outer node with the inner node in details', () => {
    // bias 50 is inside the declared range (max 100) but Add's own max is 10.
    const issues = validateGraph({ ...simple, '3': { ...simple['3'], inputs: { ...simple['3'].inputs, bias: 50 } } }, registry());
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'value_out_of_range', nodeId: '3', nodeType: 't/AddMul', input: 'bias', details: { innerNode: '3/1', innerNodeType: 'Add', innerInput: 'bias', max: 10 } });
    expect(issues[0].message).toMatch(/^t\/AddMul #3 \(inner Add #3\/1\)/);
  });

  it('reports an inner node type that is not registered on the outer node', () => {
    const r = numberRegistry();
    registerSubgraphs(r, 'p', [{ ...addMul, workflow: { ...addMul.workflow, '2': { class_type: 'Missing', inputs: {} } } }]);
    const issues = validateGraph({ ...simple, '3': { ...simple['3'], class_type: 'p/AddMul' } }, r);
    expect(issues.map((i) => [i.code, i.nodeId, i.details?.innerNode])).toEqual([['node_type_unknown', '3', '3/2']]);
  });

  it('lets an output node inside a subgraph make the workflow runnable', () => {
    const r = numberRegistry();
    registerSubgraphs(r, 'p', [{ type: 'Show', inputs: [{ name: 'v', type: 'LATENT', targets: [{ node: 'o', input: 'value' }] }], outputs: [], workflow: { o: { class_type: 'Out', inputs: {} } } }]);
    expect(validateGraph({ '1': { class_type: 'Num', inputs: {} }, '2': { class_type: 'p/Show', inputs: { v: ['1', 0] } } }, r)).toEqual([]);
    expect(validateGraph({ '1': { class_type: 'Num', inputs: {} } }, r).map((i) => i.code)).toEqual(['output_node_missing']);
  });

  it('reports a link to an output index the subgraph node does not have', () => {
    const issues = validateGraph({ ...simple, '4': { class_type: 'Out', inputs: { value: ['3', 2] } } }, registry());
    expect(issues.map((i) => [i.code, i.nodeId, i.details?.reason])).toEqual([['link_invalid', '4', 'output_missing']]);
  });
});

describe('executeGraph with subgraph nodes', () => {
  it('runs the inner nodes with events and cache entries per inner node', async () => {
    const r = registry();
    const cache = new NodeCache();
    const events: RunEvent[] = [];
    const first = await executeGraph(simple, r, { cache, onEvent: (e) => events.push(e) });
    expect(first.status).toBe('success');
    expect(first.outputs).toEqual({ '4': { value: (5 + 7 + 4) * 2 } });
    expect(first.executed).toEqual(['1', '2', '3/1', '3/2', '4']);
    expect(events.filter((e) => e.type === 'executing').map((e) => (e as { node: string }).node)).toEqual(['1', '2', '3/1', '3/2', '4']);
    expect(events.filter((e) => e.type === 'progress').map((e) => (e as { node: string }).node)).toEqual(['3/2']);
    expect(events.filter((e) => e.type === 'stats').map((e) => (e as { node: string }).node)).toEqual(['1', '2', '3/1', '3/2', '4']);

    // A new factor reruns only the inner Mul (and the uncached output node).
    const changed = { ...simple, '3': { ...simple['3'], inputs: { ...simple['3'].inputs, factor: 3 } } };
    const second = await executeGraph(changed, r, { cache });
    expect(second.outputs).toEqual({ '4': { value: 48 } });
    expect(second.executed).toEqual(['3/2', '4']);
    expect(second.cached).toEqual(['1', '2', '3/1']);

    // Inner cache keys do not contain ids: the same subgraph under another id is served from the cache.
    const renamed: ExecutionGraph = { ...changed, '9': changed['3'], '4': { class_type: 'Out', inputs: { value: ['9', 1] } } };
    delete renamed['3'];
    const third = await executeGraph(renamed, r, { cache });
    expect(third.executed).toEqual(['4']);
    expect(third.cached).toEqual(['1', '2', '9/1', '9/2']);
  });

  it('runs nested subgraphs', async () => {
    const graph: ExecutionGraph = {
      '1': { class_type: 'Num', inputs: { value: 2 } },
      '5': { class_type: 't/Nested', inputs: { x: ['1', 0], k: 3 } },
      '6': { class_type: 'Out', inputs: { value: ['5', 0] } },
    };
    const result = await executeGraph(graph, registry());
    expect(result.status).toBe('success');
    expect(result.outputs['6']).toEqual({ value: (2 + 10 + 3) * 3 });
  });

  it('reports a failing inner node on the outer node (inner id in details), in the result and the event', async () => {
    const r = numberRegistry();
    registerSubgraphs(r, 'p', [
      {
        type: 'MayFail',
        inputs: [
          { name: 'x', type: 'LATENT', targets: [{ node: 'f', input: 'a' }] },
          { name: 'mode', type: 'COMBO', targets: [{ node: 'f', input: 'mode' }] }, // options from Fail.mode
        ],
        outputs: [{ name: 'OUT', type: 'LATENT', from: { node: 'f', output: 0 } }],
        workflow: { f: { class_type: 'Fail', inputs: {} } },
      },
    ]);
    expect(r.catalog()['p/MayFail'].input.required.mode[0]).toEqual(['pass', 'throw']);
    const events: RunEvent[] = [];
    const graph = {
      '1': { class_type: 'Num', inputs: { value: 1 } },
      '2': { class_type: 'p/MayFail', inputs: { x: ['1', 0], mode: 'throw' } },
      '3': { class_type: 'Out', inputs: { value: ['2', 0] } },
    };
    const result = await executeGraph(graph, r, { onEvent: (e) => events.push(e) });
    expect(result.status).toBe('error');
    expect(result.issues).toEqual([
      {
        code: 'node_failed',
        message: 'p/MayFail #2 (inner Fail #2/f): the test node was told to fail',
        nodeId: '2',
        nodeType: 'p/MayFail',
        details: { error: 'Error', innerNode: '2/f', innerNodeType: 'Fail', subgraphs: ['p/MayFail'] },
      },
    ]);
    expect((result.error?.cause as Error).message).toBe('the test node was told to fail');
    const failed = events.find((e) => e.type === 'execution_error');
    expect(failed).toMatchObject({ node: '2', nodeType: 'p/MayFail' });
    // A value the inherited options refuse is reported before anything runs.
    const invalid = await executeGraph({ ...graph, '2': { ...graph['2'], inputs: { x: ['1', 0], mode: 'explode' } } }, r);
    expect(invalid.issues.map((i) => [i.code, i.nodeId, i.input])).toEqual([['value_invalid', '2', 'mode']]);
  });
});

describe('Txt2ImgSimple (examples/packs/sd-basics.latentflow.json) with stand-ins for the core nodes', () => {
  async function sdRegistry() {
    const r = new NodeRegistry();
    r.registerAll(coreStandIns);
    const report = await loadPacks([EXAMPLES], r);
    expect(report.issues).toEqual([]);
    return r;
  }
  const workflow: ExecutionGraph = {
    '1': { class_type: 'sd-basics/Txt2ImgSimple', inputs: { ckpt_name: 'tiny-sd.safetensors', positive: 'a red cube', seed: 42, width: 256 } },
    '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
  };

  it('shows as one node whose checkpoint list is CheckpointLoaderSimple\'s', async () => {
    const entry = (await sdRegistry()).catalog()['sd-basics/Txt2ImgSimple'];
    expect(entry.input_order.required).toEqual(['ckpt_name', 'positive', 'negative', 'width', 'height', 'seed', 'steps', 'cfg']);
    expect(entry.input.required.ckpt_name[0]).toEqual(['tiny-sd.safetensors', 'other.safetensors']);
    expect(entry.input.required.steps).toEqual(['INT', { default: 20, min: 1, max: 150 }]);
    expect(entry.output).toEqual(['IMAGE']);
    expect(entry.pack).toBe('sd-basics');
  });

  it('expands into the default txt2img pipeline', async () => {
    const { graph, issues } = expandSubgraphs(workflow, await sdRegistry());
    expect(issues).toEqual([]);
    expect(graph).toEqual({
      '1/3': {
        class_type: 'KSampler',
        inputs: { seed: 42, steps: 20, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['1/4', 0], positive: ['1/6', 0], negative: ['1/7', 0], latent_image: ['1/5', 0] },
      },
      '1/4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'tiny-sd.safetensors' } },
      '1/5': { class_type: 'EmptyLatentImage', inputs: { width: 256, height: 512, batch_size: 1 } },
      '1/6': { class_type: 'CLIPTextEncode', inputs: { text: 'a red cube', clip: ['1/4', 1] } },
      '1/7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['1/4', 1] } },
      '1/8': { class_type: 'VAEDecode', inputs: { samples: ['1/3', 0], vae: ['1/4', 2] } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1/8', 0] } },
    });
  });

  it('validates and runs with the stand-ins; a checkpoint not in the list is reported on the outer node', async () => {
    const r = await sdRegistry();
    expect(validateGraph(workflow, r)).toEqual([]);
    const result = await executeGraph(workflow, r);
    expect(result.status).toBe('success');
    // Depth first along KSampler's inputs (model, positive, negative, latent_image).
    expect(result.executed).toEqual(['1/4', '1/6', '1/7', '1/5', '1/3', '1/8', '2']);
    const image = (result.outputs['2'].images as { decoded: { shape: number[]; sampledWith: Record<string, unknown> } }).decoded;
    expect(image.shape).toEqual([1, 4, 64, 32]);
    expect(image.sampledWith).toMatchObject({ seed: 42, steps: 20, cfg: 7, positive: { text: 'a red cube' }, negative: { text: '' }, model: { ckpt: 'tiny-sd.safetensors' } });
    const wrong = validateGraph({ ...workflow, '1': { ...workflow['1'], inputs: { ...workflow['1'].inputs, ckpt_name: 'v9.safetensors' } } }, r);
    expect(wrong.map((i) => [i.code, i.nodeId, i.input])).toEqual([['value_invalid', '1', 'ckpt_name']]);
  });
});
