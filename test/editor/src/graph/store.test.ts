import { describe, expect, it } from 'vitest';

import { parseCatalog } from '../../../../protocol/index.ts';
import { fromSaved } from '../../../../editor/src/graph/convert.ts';
import { COALESCE_MS } from '../../../../editor/src/graph/history.ts';
import { createGraphStore } from '../../../../editor/src/graph/store.ts';
import { OBJECT_INFO } from '../../catalog-fixture.ts';
import { TXT2IMG } from '../../workflow-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

function txt2imgStore() {
  const store = createGraphStore(catalog);
  store.getState().load(fromSaved(TXT2IMG, catalog), { name: 'txt2img', revision: 1 });
  return store;
}

const link = (source: string, sourceHandle: string, target: string, targetHandle: string) => ({ source, sourceHandle, target, targetHandle });

describe('graph store', () => {
  it('adds nodes with default widgets and fresh ids', () => {
    const store = createGraphStore(catalog);
    const a = store.getState().addNode('KSampler', { x: 0, y: 0 });
    const b = store.getState().addNode('EmptyLatentImage', { x: 0, y: 300 });
    expect([a, b]).toEqual(['1', '2']);
    expect(store.getState().nodes[0].data.widgets.steps).toBe(20);
    expect(store.getState().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['2']);
    expect(store.getState().dirty).toBe(true);
  });

  it('refuses links between different types and loops, replaces the link into an input', () => {
    const store = txt2imgStore();
    const s = store.getState();
    expect(s.connect(link('5', '0', '3', 'model'))).toBe('Cannot connect LATENT to MODEL: the types differ.');
    expect(s.connect(link('3', '0', '3', 'latent_image'))).toBe('A node cannot feed itself.');
    // 8 (VAEDecode) is downstream of 3: its IMAGE cannot come back into 3 anyway; use LATENT 3 -> nothing loops here
    expect(s.connectionProblem({ ...link('8', '0', '9', 'images') })).toBeNull();
    expect(s.connect(link('7', '0', '3', 'positive'))).toBeNull();
    const positive = store.getState().edges.filter((e) => e.target === '3' && e.targetHandle === 'positive');
    expect(positive).toHaveLength(1);
    expect(positive[0].source).toBe('7');
    expect(store.getState().edges).toHaveLength(9);
    expect(s.connectionProblem(link('3', '0', '3', 'samples'))).not.toBeNull();
    expect(s.connectionProblem(link('4', '0', '6', 'text'))).toBe('Cannot connect MODEL to STRING: the types differ.');
  });

  it('undoes and redoes every kind of edit', () => {
    const store = txt2imgStore();
    const before = store.getState().nodes;
    store.getState().setWidget('3', 'steps', 8);
    store.getState().addNode('VAEDecode', { x: 5, y: 5 });
    store.getState().selectOnly(['5']);
    store.getState().deleteSelection();
    expect(store.getState().nodes).toHaveLength(7);
    expect(store.getState().edges).toHaveLength(8);

    store.getState().undo(); // delete
    expect(store.getState().nodes).toHaveLength(8);
    expect(store.getState().edges).toHaveLength(9);
    store.getState().undo(); // add
    expect(store.getState().nodes).toHaveLength(7);
    store.getState().undo(); // widget
    expect(store.getState().nodes.find((n) => n.id === '3')!.data.widgets.steps).toBe(4);
    expect(store.getState().nodes.map((n) => n.data)).toEqual(before.map((n) => n.data));
    store.getState().undo(); // nothing left
    expect(store.getState().nodes).toHaveLength(7);

    store.getState().redo();
    store.getState().redo();
    expect(store.getState().nodes).toHaveLength(8);
    expect(store.getState().nodes.find((n) => n.id === '3')!.data.widgets.steps).toBe(8);
    store.getState().redo();
    expect(store.getState().nodes).toHaveLength(7);
    expect(store.getState().nodes.some((n) => n.id === '5')).toBe(false);
  });

  it('coalesces typing in one widget into one step, and a new edit clears redo', async () => {
    const store = txt2imgStore();
    for (const text of ['a', 'a c', 'a ca', 'a cat']) store.getState().setWidget('6', 'text', text);
    expect(store.getState().history.past).toHaveLength(1);
    store.getState().undo();
    expect(store.getState().nodes.find((n) => n.id === '6')!.data.widgets.text).toBe('a large yellow square on a purple background');
    store.getState().redo();
    store.getState().undo();
    store.getState().setWidget('7', 'text', 'blurry');
    expect(store.getState().history.future).toHaveLength(0);
    await new Promise((r) => setTimeout(r, COALESCE_MS + 50));
    store.getState().setWidget('7', 'text', 'blurry, dark');
    expect(store.getState().history.past).toHaveLength(2);
  });

  it('records a drag as one step', () => {
    const store = txt2imgStore();
    store.getState().beginDrag();
    for (let x = 1; x <= 5; x++) store.getState().onNodesChange([{ type: 'position', id: '4', position: { x, y: 0 }, dragging: true }]);
    store.getState().onNodesChange([{ type: 'position', id: '4', position: { x: 6, y: 0 }, dragging: false }]);
    expect(store.getState().nodes[0].position).toEqual({ x: 6, y: 0 });
    store.getState().undo();
    expect(store.getState().nodes[0].position).toEqual({ x: 0, y: 0 });
  });

  it('copies and pastes the selection with its inner links', () => {
    const store = txt2imgStore();
    store.getState().selectOnly(['3', '8']);
    store.getState().copySelection();
    store.getState().paste({ x: 2000, y: 0 });
    const state = store.getState();
    expect(state.nodes).toHaveLength(9);
    expect(state.nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['10', '11']);
    expect(state.edges.filter((e) => e.source === '10')).toHaveLength(1);
    state.undo();
    expect(store.getState().nodes).toHaveLength(7);
  });

  it('seed controls and titles are undoable', () => {
    const store = txt2imgStore();
    store.getState().setControl('3', 'seed', 'randomize');
    store.getState().setTitle('6', 'Positive');
    expect(store.getState().nodes.find((n) => n.id === '3')!.data.controls).toEqual({ seed: 'randomize' });
    store.getState().undo();
    store.getState().undo();
    expect(store.getState().nodes.find((n) => n.id === '3')!.data.controls).toBeUndefined();
    expect(store.getState().nodes.find((n) => n.id === '6')!.data.title).toBeUndefined();
  });
});

describe('graph store: groups and modes', () => {
  it('Ctrl+M / Ctrl+B set the mode of the selected nodes, and clear it when all of them have it', () => {
    const store = txt2imgStore();
    store.getState().selectOnly(['3', '8']);
    store.getState().toggleMode(2);
    expect(store.getState().nodes.filter((n) => n.data.mode === 2).map((n) => n.id).sort()).toEqual(['3', '8']);
    store.getState().toggleMode(4);
    expect(store.getState().nodes.filter((n) => n.data.mode === 4).map((n) => n.id).sort()).toEqual(['3', '8']);
    store.getState().toggleMode(4);
    expect(store.getState().nodes.every((n) => n.data.mode === undefined)).toBe(true);
    store.getState().undo();
    expect(store.getState().nodes.find((n) => n.id === '3')!.data.mode).toBe(4);
  });

  it('makes a group around the selection; dragging the group moves the nodes inside it and nothing else', () => {
    const store = txt2imgStore();
    store.getState().selectOnly(['6', '7']);
    const id = store.getState().addGroup('Prompts');
    const group = store.getState().groups.find((g) => g.id === id)!;
    expect(group.data.title).toBe('Prompts');
    expect(group.position.x).toBeLessThan(340);
    expect(group.position.y).toBeLessThan(0);

    store.getState().beginDrag([{ id }]);
    const to = { x: group.position.x + 50, y: group.position.y + 30 };
    store.getState().onNodesChange([{ type: 'position', id, position: to, dragging: true }]);
    store.getState().onNodesChange([{ type: 'position', id, position: to, dragging: false }]);
    const at = (n: string) => store.getState().nodes.find((node) => node.id === n)!.position;
    expect(at('6')).toEqual({ x: 390, y: 30 });
    expect(at('7')).toEqual({ x: 390, y: 290 });
    expect(at('4')).toEqual({ x: 0, y: 0 });
    expect(store.getState().groups[0].position).toEqual(to);

    store.getState().renameGroup(id, 'Text');
    expect(store.getState().groups[0].data.title).toBe('Text');
    store.getState().selectOnly([id]);
    store.getState().deleteSelection();
    expect(store.getState().groups).toEqual([]);
    expect(store.getState().nodes).toHaveLength(7);
    store.getState().undo();
    expect(store.getState().groups.map((g) => g.data.title)).toEqual(['Text']);
  });

  it('lets a Reroute node take any type and gives on the type that feeds it', () => {
    const store = txt2imgStore();
    const reroute = store.getState().addNode('Reroute', { x: 900, y: 400 });
    expect(store.getState().connect(link('4', '2', reroute, 'input'))).toBeNull();
    expect(store.getState().connectionProblem(link(reroute, '0', '3', 'model'))).toBe('Cannot connect VAE to MODEL: the types differ.');
    expect(store.getState().connect(link(reroute, '0', '8', 'vae'))).toBeNull();
    expect(store.getState().edges.find((e) => e.id === '8:vae')!.source).toBe(reroute);
  });
});
