import { describe, expect, it } from 'vitest';

import {
  cloneFragment,
  fromSaved,
  importExecution,
  nextNodeId,
  readWorkflowJson,
  toSaved,
  WorkflowFormatError,
} from '../../../../editor/src/graph/convert.ts';
import { parseCatalog, savedToExecution } from '../../../../protocol/index.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';
import { TXT2IMG } from '../../workflow-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

describe('saved workflow <-> canvas', () => {
  it('round-trips exactly', () => {
    const loaded = fromSaved(TXT2IMG, catalog);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.nodes).toHaveLength(7);
    expect(loaded.edges).toHaveLength(9);
    const model = loaded.edges.find((e) => e.id === '3:model')!;
    expect(model).toMatchObject({ source: '4', sourceHandle: '0', target: '3', targetHandle: 'model', data: { socketType: 'MODEL' } });
    expect(loaded.edges.find((e) => e.id === '8:vae')!.data!.socketType).toBe('VAE');
    const saved = toSaved(loaded, { name: 'txt2img' });
    expect(saved.nodes.map(({ version: _v, ...n }) => n)).toEqual(TXT2IMG.nodes);
    expect(saved.edges).toEqual(TXT2IMG.edges);
    expect(saved.nodes[0].version).toBe(1);
  });

  it('keeps seed controls and the viewport in extra', () => {
    const loaded = fromSaved(TXT2IMG, catalog);
    const ks = loaded.nodes.find((n) => n.id === '3')!;
    ks.data = { ...ks.data, controls: { seed: 'randomize' } };
    const saved = toSaved(loaded, { name: 'x', viewport: { x: 1, y: 2, zoom: 0.5 } });
    expect(saved.extra).toEqual({ controls: { '3': { seed: 'randomize' } }, viewport: { x: 1, y: 2, zoom: 0.5 } });
    const again = fromSaved(saved, catalog);
    expect(again.nodes.find((n) => n.id === '3')!.data.controls).toEqual({ seed: 'randomize' });
    expect(again.viewport).toEqual({ x: 1, y: 2, zoom: 0.5 });
  });

  it('fills missing widgets with defaults, keeps unknown node types, drops dangling edges', () => {
    const loaded = fromSaved(
      {
        version: 1,
        name: 'w',
        nodes: [
          { id: '1', type: 'KSampler', position: { x: 0, y: 0 }, widgets: { seed: 7 } },
          { id: '2', type: 'SomePack/Upscale', position: { x: 10, y: 0 }, widgets: { factor: 2 } },
        ],
        edges: [
          { from: { node: '2', output: 0 }, to: { node: '1', input: 'latent_image' } },
          { from: { node: '99', output: 0 }, to: { node: '1', input: 'model' } },
        ],
      },
      catalog,
    );
    expect(loaded.nodes[0].data.widgets).toMatchObject({ seed: 7, steps: 20, attention: 'auto' });
    expect(loaded.nodes[1].data).toMatchObject({ nodeType: 'SomePack/Upscale', widgets: { factor: 2 } });
    expect(loaded.edges.map((e) => e.id)).toEqual(['1:latent_image']);
    expect(loaded.edges[0].data!.socketType).toBe('LATENT'); // from the known target input
    expect(loaded.warnings).toHaveLength(2);
    expect(loaded.warnings[0]).toContain('SomePack/Upscale');
  });
});

describe('execution form', () => {
  const execution = savedToExecution(TXT2IMG).graph;

  it('maps widgets to inputs and edges to links', () => {
    expect(execution['3']).toEqual({
      class_type: 'KSampler',
      inputs: { seed: 42, steps: 4, cfg: 7, sampler_name: 'euler', scheduler: 'normal', denoise: 1, attention: 'auto', model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] },
    });
    expect(execution['9'].inputs.images).toEqual(['8', 0]);
  });

  it('imports with a layered layout and the same graph', () => {
    const saved = importExecution(execution, 'api');
    const x = Object.fromEntries(saved.nodes.map((n) => [n.id, n.position.x]));
    expect(x['4']).toBe(0);
    expect(x['6']).toBeGreaterThan(x['4']);
    expect(x['3']).toBeGreaterThan(x['6']);
    expect(x['9']).toBeGreaterThan(x['8']);
    expect(savedToExecution(saved).graph).toEqual(execution);
    expect(new Set(saved.nodes.map((n) => `${n.position.x},${n.position.y}`)).size).toBe(7);
  });

  it('reads numeric ids as links', () => {
    const saved = readWorkflowJson({ '1': { class_type: 'VAEDecode', inputs: { samples: [2, 0] } }, '2': { class_type: 'EmptyLatentImage', inputs: { width: 64 } } });
    expect(saved.edges).toEqual([{ from: { node: '2', output: 0 }, to: { node: '1', input: 'samples' } }]);
  });
});

describe('readWorkflowJson', () => {
  it('accepts both forms', () => {
    expect(readWorkflowJson(JSON.parse(JSON.stringify(TXT2IMG)))).toEqual(TXT2IMG);
    expect(readWorkflowJson(savedToExecution(TXT2IMG).graph).nodes).toHaveLength(7);
  });

  it('says what is wrong', () => {
    expect(() => readWorkflowJson([1, 2])).toThrow(WorkflowFormatError);
    expect(() => readWorkflowJson({ a: { inputs: {} } })).toThrow(/"a" has no "class_type"/);
    // ComfyUI's UI format opens now (test/protocol/workflow/ui-saved.test.ts); a broken one says where.
    expect(() => readWorkflowJson({ nodes: [{ id: 1, type: 'KSampler', pos: 'left' }], links: [] })).toThrow(/ComfyUI workflow could not be read.*nodes\.0\.pos/);
    expect(() => readWorkflowJson({ nodes: [{ id: 1 }] })).toThrow(/node 0 needs/);
    expect(() => readWorkflowJson({})).toThrow(/empty/);
  });
});

describe('ids and copies', () => {
  it('numbers new nodes after the highest id', () => {
    expect(nextNodeId([{ id: '3' }, { id: '10' }, { id: 'x' }])).toBe('11');
    expect(nextNodeId([])).toBe('1');
  });

  it('clones a fragment with fresh ids and its inner edges only', () => {
    const doc = fromSaved(TXT2IMG, catalog);
    const part = { nodes: doc.nodes.filter((n) => ['3', '8'].includes(n.id)), edges: doc.edges };
    const copy = cloneFragment(part, doc.nodes, { x: 1000, y: 1000 });
    expect(copy.nodes.map((n) => n.id)).toEqual(['10', '11']);
    expect(copy.nodes[0].position).toEqual({ x: 1000, y: 1000 });
    expect(copy.nodes[1].position).toEqual({ x: 1340, y: 1000 });
    expect(copy.edges).toHaveLength(1);
    expect(copy.edges[0]).toMatchObject({ id: '11:samples', source: '10', target: '11' });
    expect(copy.nodes[0].data).not.toBe(part.nodes[0].data);
  });
});
