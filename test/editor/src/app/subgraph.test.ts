import { describe, expect, it } from 'vitest';

import { collapseSelection, subgraphOfSelection } from '../../../../editor/src/app/subgraph.ts';
import { fromSaved } from '../../../../editor/src/graph/convert.ts';
import { createGraphStore } from '../../../../editor/src/graph/store.ts';
import { parseCatalog, parseEntry, savedToExecution } from '../../../../protocol/index.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';
import { TXT2IMG } from '../../workflow-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

function storeWithSelection(ids: string[]) {
  const store = createGraphStore(catalog);
  store.getState().load(fromSaved(TXT2IMG, catalog), { name: 'txt2img', revision: 1 });
  store.getState().selectOnly(ids);
  return store;
}

describe('save selection as a node type', () => {
  it('turns links crossing the selection into inputs and outputs, exposed widgets into inputs', () => {
    // KSampler + VAEDecode: fed by the loader (MODEL, VAE), both encoders and the latent; feeds SaveImage.
    const store = storeWithSelection(['3', '8']);
    const definition = subgraphOfSelection(store.getState(), catalog, { displayName: 'Sample and decode', type: 'SampleDecode', description: 'd', exposedWidgets: ['3:seed', '3:steps'] })!.subgraph!;
    expect(definition.inputs).toEqual([
      { name: 'model', type: 'MODEL', targets: [{ node: '3', input: 'model' }] },
      { name: 'positive', type: 'CONDITIONING', targets: [{ node: '3', input: 'positive' }] },
      { name: 'negative', type: 'CONDITIONING', targets: [{ node: '3', input: 'negative' }] },
      { name: 'latent_image', type: 'LATENT', targets: [{ node: '3', input: 'latent_image' }] },
      { name: 'vae', type: 'VAE', targets: [{ node: '8', input: 'vae' }] },
      { name: 'seed', type: 'INT', targets: [{ node: '3', input: 'seed' }], default: 42, min: 0, description: 'Noise seed.' },
      { name: 'steps', type: 'INT', targets: [{ node: '3', input: 'steps' }], default: 4, min: 1, max: 150 },
    ]);
    expect(definition.outputs).toEqual([{ name: 'IMAGE', type: 'IMAGE', from: { node: '8', output: 0 } }]);
    expect(definition).toMatchObject({ type: 'SampleDecode', displayName: 'Sample and decode', description: 'd', category: 'subgraphs' });
    expect(definition.outputNode).toBeUndefined();
    const inner = definition.workflow as typeof TXT2IMG;
    expect(inner.nodes.map((n) => n.id)).toEqual(['3', '8']);
    expect(inner.edges).toEqual([{ from: { node: '3', output: 0 }, to: { node: '8', input: 'samples' } }]);
  });

  it('one outside output feeding two inner inputs is one input with two targets', () => {
    const store = storeWithSelection(['6', '7']);
    const definition = subgraphOfSelection(store.getState(), catalog, { displayName: 'Prompts', type: 'Prompts', description: '' })!.subgraph!;
    expect(definition.inputs).toEqual([{ name: 'clip', type: 'CLIP', targets: [{ node: '6', input: 'clip' }, { node: '7', input: 'clip' }] }]);
    expect(definition.outputs.map((o) => o.name)).toEqual(['CONDITIONING', 'CONDITIONING_2']);
  });

  it('without outside consumers, unused outputs are the outputs; unconnected required sockets are inputs', () => {
    const store = storeWithSelection(['8', '9']);
    const definition = subgraphOfSelection(store.getState(), catalog, { displayName: 'Decode and save', type: 'DecodeSave', description: '' })!.subgraph!;
    expect(definition.inputs.map((i) => i.name)).toEqual(['samples', 'vae']);
    expect(definition.outputs).toEqual([]);
    expect(definition.outputNode).toBe(true);
    const lonely = createGraphStore(catalog);
    lonely.getState().addNode('VAEDecode', { x: 0, y: 0 });
    const alone = subgraphOfSelection(lonely.getState(), catalog, { displayName: 'x', type: 'X', description: '' })!.subgraph!;
    expect(alone.inputs.map((i) => `${i.name}:${i.type}`)).toEqual(['samples:LATENT', 'vae:VAE']);
    expect(alone.outputs).toEqual([{ name: 'IMAGE', type: 'IMAGE', from: { node: '1', output: 0 } }]);
  });

  it('collapses the selection into one node of the new type, rewired, as one undo step', () => {
    const store = storeWithSelection(['3', '8']);
    const definition = subgraphOfSelection(store.getState(), catalog, { displayName: 'Sample and decode', type: 'SampleDecode', description: '', exposedWidgets: ['3:seed'] })!.subgraph!;
    // The catalog entry the server would list for it (inputs and outputs in the definition's order).
    const entry = {
      ...OBJECT_INFO.VAEDecode,
      name: 'mypack/SampleDecode',
      category: 'subgraphs',
      pack: 'mypack',
      input: { required: Object.fromEntries(definition.inputs.map((i) => [i.name, [i.type === 'INT' ? 'INT' : i.type, {}] as [string, Record<string, unknown>]])), optional: {} },
      input_order: { required: definition.inputs.map((i) => i.name), optional: [] },
      output: ['IMAGE' as const],
      output_name: ['IMAGE'],
    };
    const withNew = new Map(catalog).set('mypack/SampleDecode', parseEntry('mypack/SampleDecode', entry));
    store.getState().setCatalog(withNew);
    collapseSelection(definition, 'mypack/SampleDecode', store);
    const state = store.getState();
    expect(state.nodes.map((n) => n.id)).toEqual(['4', '6', '7', '5', '9', '10']);
    const exec = savedToExecution({ version: 1, name: 'x', nodes: state.nodes.map((n) => ({ id: n.id, type: n.data.nodeType, position: n.position, widgets: n.data.widgets })), edges: state.edges.map((e) => ({ from: { node: e.source, output: Number(e.sourceHandle) }, to: { node: e.target, input: e.targetHandle! } })) }).graph;
    expect(exec['10'].inputs).toMatchObject({ model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0], vae: ['4', 2] });
    expect(exec['9'].inputs.images).toEqual(['10', 0]);
    state.undo();
    expect(store.getState().nodes).toHaveLength(7);
  });
});
