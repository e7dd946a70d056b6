import { describe, expect, it } from 'vitest';

import { NodeRegistry } from '../../nodes/registry.ts';
import { defineNode, float, int, socket, text } from '../../nodes/schema.ts';
import {
  asLink,
  type ExecutionGraph,
  executionToSaved,
  parseExecutionGraph,
  parseSavedWorkflow,
  parseWorkflow,
  type SavedWorkflow,
  savedToExecution,
} from '../../protocol/index.ts';

// ComfyUI's default txt2img workflow in API format, as ComfyUI's "Save (API format)" writes it.
const txt2img: ExecutionGraph = {
  '3': {
    class_type: 'KSampler',
    inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
    _meta: { title: 'KSampler' },
  },
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'v1-5-pruned-emaonly.safetensors' }, _meta: { title: 'Load Checkpoint' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 512, height: 512, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'beautiful scenery nature glass bottle landscape', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['4', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'ComfyUI', images: ['8', 0] } },
};

describe('execution form', () => {
  it('parses ComfyUI API format, normalising numeric link ids to strings', () => {
    const { graph, issues } = parseExecutionGraph({ ...txt2img, '8': { class_type: 'VAEDecode', inputs: { samples: [3, 0], vae: ['4', 2] } } });
    expect(issues).toEqual([]);
    expect(graph!['8'].inputs.samples).toEqual(['3', 0]);
    expect(graph!['3']._meta).toEqual({ title: 'KSampler' });
    expect(graph!['3'].inputs.seed).toBe(156680208700286);
  });

  it('recognises links and nothing else', () => {
    expect(asLink(['4', 1])).toEqual(['4', 1]);
    expect(asLink([4, 0])).toEqual(['4', 0]);
    expect(asLink(['4', -1])).toBeNull();
    expect(asLink(['4', 1.5])).toBeNull();
    expect(asLink(['', 0])).toBeNull();
    expect(asLink(['4', 0, 1])).toBeNull();
    expect(asLink('4')).toBeNull();
  });

  it('reports every shape problem with its node id and path', () => {
    const { graph, issues } = parseExecutionGraph({ '1': { inputs: {} }, '2': { class_type: 'X', inputs: 5 }, '3': { class_type: 'Y' } });
    expect(graph).toBeUndefined();
    expect(issues.map((i) => [i.code, i.nodeId, (i.details as { path: string[] }).path])).toEqual([
      ['workflow_invalid', '1', ['1', 'class_type']],
      ['workflow_invalid', '2', ['2', 'inputs']],
    ]);
    expect(parseExecutionGraph([1, 2]).issues[0].code).toBe('workflow_invalid');
    expect(parseExecutionGraph(null).issues).toHaveLength(1);
  });
});

describe('saved form', () => {
  const saved: SavedWorkflow = {
    version: 1,
    name: 'tiny',
    nodes: [
      { id: '1', type: 'Loader', position: { x: 0, y: 0 }, widgets: { size: 3 } },
      { id: '2', type: 'Scale', title: 'scale it', position: { x: 320, y: 0 }, widgets: { factor: 1.5, note: 'hi' } },
      { id: '3', type: 'Save', position: { x: 640, y: 0 }, widgets: { prefix: 'out' } },
    ],
    edges: [
      { from: { node: '1', output: 0 }, to: { node: '2', input: 'model' } },
      { from: { node: '2', output: 0 }, to: { node: '3', input: 'model' } },
    ],
  };

  it('converts to the execution form: widgets become inputs, edges links', () => {
    const { graph, issues } = savedToExecution(saved);
    expect(issues).toEqual([]);
    expect(graph).toEqual({
      '1': { class_type: 'Loader', inputs: { size: 3 } },
      '2': { class_type: 'Scale', inputs: { factor: 1.5, note: 'hi', model: ['1', 0] }, _meta: { title: 'scale it' } },
      '3': { class_type: 'Save', inputs: { prefix: 'out', model: ['2', 0] } },
    });
  });

  it('round-trips saved -> execution -> saved (positions kept through layout) and execution -> saved -> execution', () => {
    const { graph } = savedToExecution(saved);
    const layout = Object.fromEntries(saved.nodes.map((n) => [n.id, n.position]));
    expect(executionToSaved(graph, { name: 'tiny', layout })).toEqual(saved);
    const back = executionToSaved(txt2img, { name: 'txt2img' });
    expect(parseSavedWorkflow(JSON.parse(JSON.stringify(back))).issues).toEqual([]);
    expect(savedToExecution(back)).toEqual({ graph: txt2img, issues: [] });
  });

  it('lays nodes out in columns by longest path from a source', () => {
    const positions = Object.fromEntries(executionToSaved(txt2img).nodes.map((n) => [n.id, n.position.x / 320]));
    expect(positions).toEqual({ '4': 0, '5': 0, '6': 1, '7': 1, '3': 2, '8': 3, '9': 4 });
  });

  it('reports duplicate ids, edges into missing nodes and inputs linked twice; an edge wins over a stale widget', () => {
    const bad: SavedWorkflow = {
      ...saved,
      nodes: [...saved.nodes, { id: '2', type: 'Other', position: { x: 0, y: 0 }, widgets: {} }],
      edges: [...saved.edges, { from: { node: '1', output: 0 }, to: { node: '9', input: 'model' } }, { from: { node: '1', output: 0 }, to: { node: '3', input: 'model' } }, { from: { node: '1', output: 0 }, to: { node: '3', input: 'prefix' } }],
    };
    const { graph, issues } = savedToExecution(bad);
    expect(issues.map((i) => [i.code, i.nodeId, i.input, i.details?.reason])).toEqual([
      ['workflow_invalid', '2', undefined, 'duplicate_id'],
      ['link_invalid', '9', 'model', 'target_missing'],
      ['link_invalid', '3', 'model', 'input_linked_twice'],
    ]);
    expect(graph['2'].class_type).toBe('Scale');
    expect(graph['3'].inputs.prefix).toEqual(['1', 0]);
  });

  it('reports shape problems with the node id', () => {
    const { issues } = parseSavedWorkflow({ version: 1, name: 'x', nodes: [{ id: 7, type: 'A', position: { x: 'left', y: 0 } }], edges: [{ from: { node: '7' }, to: { node: '7', input: 'a' } }] });
    expect(issues.map((i) => [i.code, i.nodeId, (i.details as { path: string[] }).path.join('.')])).toEqual([
      ['workflow_invalid', '7', 'nodes.0.position.x'],
      ['workflow_invalid', undefined, 'edges.0.from.output'],
    ]);
    expect(parseSavedWorkflow({ version: 2, name: 'x', nodes: [] }).issues[0].details).toMatchObject({ path: ['version'] });
  });

  it('accepts numeric ids in the saved form', () => {
    const { workflow } = parseSavedWorkflow({ version: 1, name: 'n', nodes: [{ id: 1, type: 'A', position: { x: 0, y: 0 } }], edges: [{ from: { node: 1, output: 0 }, to: { node: 1, input: 'x' } }] });
    expect(workflow!.nodes[0]).toEqual({ id: '1', type: 'A', position: { x: 0, y: 0 }, widgets: {} });
    expect(workflow!.edges[0].from.node).toBe('1');
  });
});

describe('parseWorkflow', () => {
  const scale = defineNode({
    type: 'Scale',
    version: 2,
    category: 'x',
    description: 'v2 renamed "amount" to "factor" and made it a ratio instead of a percentage.',
    inputs: { model: socket('MODEL'), factor: float({ default: 1 }), note: text({ default: '' }), steps: int({ default: 1 }) },
    outputs: { MODEL: socket('MODEL') },
    migrate: (widgets, from) => (from < 2 ? { ...widgets, factor: Number(widgets.amount) / 100, amount: undefined } : widgets),
    run: (input) => ({ MODEL: input.model }),
  });

  it('accepts either form and migrates saved nodes of an older type version', () => {
    const registry = new NodeRegistry();
    registry.registerAll([scale]);
    const saved = { version: 1, name: 'old', nodes: [{ id: '2', type: 'Scale', version: 1, position: { x: 0, y: 0 }, widgets: { amount: 150 } }], edges: [] };
    const fromSaved = parseWorkflow(saved, registry);
    expect(fromSaved.form).toBe('saved');
    expect(fromSaved.graph!['2'].inputs).toEqual({ factor: 1.5 });
    expect(fromSaved.saved!.name).toBe('old');
    const fromExecution = parseWorkflow(txt2img);
    expect(fromExecution.form).toBe('execution');
    expect(fromExecution.graph).toEqual(txt2img);
    expect(executionToSaved(fromSaved.graph!, { versions: registry }).nodes[0].version).toBe(2);
  });
});
