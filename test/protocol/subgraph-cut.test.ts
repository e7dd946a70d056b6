// cutSubgraph on plain objects: the cut the editor's "save as node" and the server's exportSubgraph make.
import { describe, expect, it } from 'vitest';

import { cutSubgraph, type ExecutionGraph, executionToSaved, parseCatalog, savedToExecution } from '../../protocol/index.ts';
import { OBJECT_INFO } from '../editor/catalog-fixture.ts';
import { txt2img } from './workflow/examples.ts';

const catalog = parseCatalog(OBJECT_INFO);
const types = (type: string) => catalog.get(type);
const cut = (graph: ExecutionGraph, selection: string[], options: Parameters<typeof cutSubgraph>[2] = { type: 'Part' }) => cutSubgraph({ graph }, selection, options, types);

describe('cutSubgraph', () => {
  it('turns each outside output feeding the selection into one socket input, in node id and input order', () => {
    const result = cut(txt2img, ['3', '8']);
    expect(result.problems).toEqual([]);
    expect(result.subgraph!.inputs).toEqual([
      { name: 'model', type: 'MODEL', targets: [{ node: '3', input: 'model' }] },
      { name: 'positive', type: 'CONDITIONING', targets: [{ node: '3', input: 'positive' }] },
      { name: 'negative', type: 'CONDITIONING', targets: [{ node: '3', input: 'negative' }] },
      { name: 'latent_image', type: 'LATENT', targets: [{ node: '3', input: 'latent_image' }] },
      { name: 'vae', type: 'VAE', targets: [{ node: '8', input: 'vae' }] },
    ]);
    // The fragment keeps the inner link and drops the ones from outside.
    expect(result.subgraph!.workflow).toEqual({
      '3': { ...txt2img['3'], inputs: { seed: 156680208700286, steps: 20, cfg: 8, sampler_name: 'euler', scheduler: 'normal', denoise: 1 } },
      '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0] } },
    });
    expect(result.subgraph!.outputs).toEqual([{ name: 'IMAGE', type: 'IMAGE', from: { node: '8', output: 0 } }]);
    expect(result.linksOut).toBe(1);
  });

  it('shares one input between inner inputs fed by the same output, and names outputs apart', () => {
    const result = cut(txt2img, ['6', '7']);
    expect(result.subgraph!.inputs).toEqual([{ name: 'clip', type: 'CLIP', targets: [{ node: '6', input: 'clip' }, { node: '7', input: 'clip' }] }]);
    expect(result.subgraph!.outputs.map((o) => [o.name, o.from.node])).toEqual([['CONDITIONING', '6'], ['CONDITIONING_2', '7']]);
  });

  it('exposes required sockets nothing feeds, and widgets asked for with their value, range and tooltip (COMBO options stay inherited)', () => {
    const alone: ExecutionGraph = { '1': { class_type: 'KSampler', inputs: { seed: 42, steps: 4, sampler_name: 'euler' } } };
    const result = cut(alone, ['1'], { type: 'S', widgets: [{ node: '1', input: 'seed' }, { node: '1', input: 'steps', name: 'steps count' }, { node: '1', input: 'sampler_name' }] });
    expect(result.subgraph!.inputs.map((i) => i.name)).toEqual(['model', 'positive', 'negative', 'latent_image', 'seed', 'steps_count', 'sampler_name']);
    expect(result.subgraph!.inputs[4]).toEqual({ name: 'seed', type: 'INT', description: 'Noise seed.', default: 42, min: 0, targets: [{ node: '1', input: 'seed' }] });
    expect(result.subgraph!.inputs[6]).toEqual({ name: 'sampler_name', type: 'COMBO', default: 'euler', targets: [{ node: '1', input: 'sampler_name' }] });
    // Nothing outside uses it: every output it has becomes an output.
    expect(result.linksOut).toBe(0);
    expect(result.subgraph!.outputs).toEqual([{ name: 'LATENT', type: 'LATENT', from: { node: '1', output: 0 } }]);
  });

  it('keeps a saved fragment\'s positions (moved to the origin) and its versions, or records the current ones', () => {
    const saved = executionToSaved(txt2img, { layout: { '3': { x: 500, y: 120 }, '8': { x: 900, y: 100 } } });
    saved.nodes.find((n) => n.id === '3')!.version = 1;
    const workflow = { graph: savedToExecution(saved).graph, saved };
    const kept = cutSubgraph(workflow, ['3', '8'], { type: 'Part' }, types).subgraph!.workflow as typeof saved;
    expect(kept.nodes.map((n) => [n.id, n.position, n.version])).toEqual([['3', { x: 0, y: 20 }, 1], ['8', { x: 400, y: 0 }, undefined]]);
    expect(kept.edges).toEqual([{ from: { node: '3', output: 0 }, to: { node: '8', input: 'samples' } }]);
    const current = cutSubgraph(workflow, ['3', '8'], { type: 'Part' }, types, { get: () => ({ version: 4 }) }).subgraph!.workflow as typeof saved;
    expect(current.nodes.map((n) => n.version)).toEqual([4, 4]);
  });

  it('says why a selection cannot be cut', () => {
    expect(cut(txt2img, []).problems).toEqual(['the selection is empty']);
    expect(cut(txt2img, ['3', '99']).problems).toEqual(['node "99" is not in the workflow']);
    expect(cut({ '1': { class_type: 'Mystery', inputs: {} } }, ['1']).problems).toEqual(['node "1" has type "Mystery", which is not registered']);
    expect(cut(txt2img, ['3'], { type: 'X', widgets: [{ node: '3', input: 'model' }] }).problems).toEqual(['node "3" (KSampler) has no widget "model"']);
    expect(cut(txt2img, ['3'], { type: 'X', widgets: [{ node: '8', input: 'samples' }] }).problems).toEqual(['widget "samples" of node "8" is not in the selection']);
    const linkedWidget: ExecutionGraph = { ...txt2img, '3': { ...txt2img['3'], inputs: { ...txt2img['3'].inputs, steps: ['5', 0] } } };
    expect(cut(linkedWidget, ['3']).problems).toEqual(['node "3" input "steps" is linked but is not a socket of KSampler']);
    expect(cut(txt2img, ['3']).subgraph).toBeDefined();
  });
});
