import { describe, expect, it } from 'vitest';

import { coreNodes } from '../../../nodes/core/index.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import { parseUiWorkflow, parseWorkflow, uiToExecution, type UiWorkflow } from '../../../protocol/index.ts';
import { comfyDefaultGraph, comfyDefaultPrompt, withDefault } from './ui-examples.ts';

const registry = new NodeRegistry();
registry.registerAll(coreNodes);

function convert(json: unknown) {
  const { workflow, issues } = parseUiWorkflow(json);
  expect(issues).toEqual([]);
  return uiToExecution(workflow as UiWorkflow, registry);
}

describe('uiToExecution', () => {
  it("turns ComfyUI's default graph into what ComfyUI's Save (API format) writes", () => {
    const { graph, issues } = convert(comfyDefaultGraph());
    expect(issues).toEqual([]);
    expect(graph).toEqual(comfyDefaultPrompt);
    // Through the one door every layer uses, with the registry giving the widget order:
    const parsed = parseWorkflow(comfyDefaultGraph(), registry);
    expect(parsed.form).toBe('ui');
    expect(parsed.graph).toEqual(comfyDefaultPrompt);
  });

  it('reads version 1.0 (link objects, state) the same as 0.4', () => {
    const v1 = withDefault((g) => {
      const links = g.links as unknown as unknown[][];
      Object.assign(g, {
        version: 1,
        state: { lastNodeId: 9, lastLinkId: 9, lastGroupId: 0, lastRerouteId: 0 },
        links: links.map(([id, oid, os, tid, ts, type]) => ({ id, origin_id: oid, origin_slot: os, target_id: tid, target_slot: ts, type })),
      });
      delete (g as Record<string, unknown>).last_node_id;
      delete (g as Record<string, unknown>).last_link_id;
    });
    expect(convert(v1).graph).toEqual(comfyDefaultPrompt);
  });

  it('takes the seed control only when it is there (files saved before ComfyUI had it) and keeps titles', () => {
    const old = withDefault((_g, node) => {
      node(3).widgets_values = [42, 25, 7, 'euler', 'karras', 0.5];
      node(4).title = 'Load Checkpoint';
    });
    const { graph } = convert(old);
    expect(graph['3'].inputs).toMatchObject({ seed: 42, steps: 25, cfg: 7, scheduler: 'karras', denoise: 0.5 });
    expect(graph['4']._meta).toEqual({ title: 'Load Checkpoint' });
  });

  it('feeds converted widgets from links, PrimitiveNode and Primitive* nodes, the link winning over the stale widget value', () => {
    const g = withDefault((g, node) => {
      node(3).inputs.push({ name: 'seed', type: 'INT', link: 10, widget: { name: 'seed' } } as never);
      node(5).inputs = [{ name: 'width', type: 'INT', link: 11, widget: { name: 'width' } }] as never;
      g.nodes.push(
        { id: 10, type: 'PrimitiveNode', pos: [0, 0], mode: 0, outputs: [{ name: 'INT', type: 'INT', links: [10], widget: { name: 'seed' } }], widgets_values: [777, 'fixed'] } as never,
        { id: 11, type: 'PrimitiveInt', pos: [0, 100], mode: 0, outputs: [{ name: 'INT', type: 'INT', links: [11] }], widgets_values: [768] } as never,
      );
      (g.links as unknown[]).push([10, 10, 0, 3, 4, 'INT'], [11, 11, 0, 5, 0, 'INT']);
    });
    const { graph, issues } = convert(g);
    expect(issues).toEqual([]);
    expect(graph['3'].inputs.seed).toBe(777);
    expect(graph['5'].inputs).toEqual({ width: 768, height: 512, batch_size: 1 });
    expect(Object.keys(graph).sort()).toEqual(['3', '4', '5', '6', '7', '8', '9']);
  });

  it('drops notes, resolves Reroute nodes and ignores native reroutes (drawing only)', () => {
    const g = withDefault((g, node) => {
      // Model goes 4 -> Reroute 20 -> Reroute 21 -> KSampler; VAE link passes a native reroute.
      node(3).inputs[0].link = 22;
      g.nodes.push(
        { id: 20, type: 'Reroute', pos: [600, 100], mode: 0, inputs: [{ name: '', type: '*', link: 1 }], outputs: [{ name: '', type: 'MODEL', links: [21] }] } as never,
        { id: 21, type: 'Reroute', pos: [700, 100], mode: 0, inputs: [{ name: '', type: '*', link: 21 }], outputs: [{ name: '', type: 'MODEL', links: [22] }] } as never,
        { id: 30, type: 'Note', pos: [0, 0], mode: 0, widgets_values: ['remember the *seed*'] } as never,
        { id: 31, type: 'MarkdownNote', pos: [0, 0], mode: 0, widgets_values: ['# hi'] } as never,
      );
      const links = g.links as unknown as unknown[][];
      links[0] = [1, 4, 0, 20, 0, 'MODEL'];
      links.push([21, 20, 0, 21, 0, 'MODEL'], [22, 21, 0, 3, 0, 'MODEL']);
      Object.assign(g.extra, { reroutes: [{ id: 1, pos: [1000, 500], linkIds: [8] }], linkExtensions: [{ id: 8, parentId: 1 }] });
    });
    const { graph, issues } = convert(g);
    expect(issues).toEqual([]);
    expect(graph).toEqual(comfyDefaultPrompt);
  });

  it('leaves muted nodes out and passes a bypassed node\'s matching input through', () => {
    const g = withDefault((g, node) => {
      // 6 -> ConditioningZeroOut 40 (bypassed) -> KSampler positive; an extra muted SaveImage on the latent.
      node(3).inputs[1].link = 41;
      g.nodes.push(
        { id: 40, type: 'ConditioningZeroOut', pos: [0, 0], mode: 4, inputs: [{ name: 'conditioning', type: 'CONDITIONING', link: 4 }], outputs: [{ name: 'CONDITIONING', type: 'CONDITIONING', links: [41] }] } as never,
        { id: 42, type: 'PreviewImage', pos: [0, 0], mode: 2, inputs: [{ name: 'images', type: 'IMAGE', link: 42 }] } as never,
      );
      const links = g.links as unknown as unknown[][];
      links[3] = [4, 6, 0, 40, 0, 'CONDITIONING'];
      links.push([41, 40, 0, 3, 1, 'CONDITIONING'], [42, 8, 0, 42, 0, 'IMAGE']);
    });
    const { graph, issues } = convert(g);
    expect(issues).toEqual([]);
    expect(graph).toEqual(comfyDefaultPrompt);

    // A muted node feeding a socket: the input is left unconnected (validation then says so).
    const muted = withDefault((_g, node) => { node(4).mode = 2; });
    const out = convert(muted).graph;
    expect(out['4']).toBeUndefined();
    expect(out['3'].inputs.model).toBeUndefined();
    expect(out['3'].inputs.seed).toBe(156680208700286);
  });

  it('flattens subgraphs: inner nodes run as instance:inner, inputs and outputs crossing the boundary', () => {
    // The two text encoders become a subgraph with one input (clip) and two outputs.
    const g = withDefault((g) => {
      const inner = g.nodes.filter((n) => n.id === 6 || n.id === 7);
      g.nodes = g.nodes.filter((n) => n.id !== 6 && n.id !== 7);
      g.nodes.push({
        id: 50, type: '9d2c0f35-2d0a-4b6b-9f52-6a3c7a0e0c11', pos: [400, 200], size: [300, 100], mode: 0,
        inputs: [{ name: 'clip', type: 'CLIP', link: 3 }],
        outputs: [{ name: 'positive', type: 'CONDITIONING', links: [4] }, { name: 'negative', type: 'CONDITIONING', links: [6] }],
      } as never);
      const links = g.links as unknown as unknown[][];
      g.links = links.filter((l) => l[0] !== 5).map((l) => (l[0] === 3 ? [3, 4, 1, 50, 0, 'CLIP'] : l[0] === 4 ? [4, 50, 0, 3, 1, 'CONDITIONING'] : l[0] === 6 ? [6, 50, 1, 3, 2, 'CONDITIONING'] : l)) as never;
      Object.assign(g, {
        definitions: {
          subgraphs: [{
            id: '9d2c0f35-2d0a-4b6b-9f52-6a3c7a0e0c11', name: 'Prompts', version: 1,
            inputNode: { id: -10, bounding: [0, 0, 75, 100] }, outputNode: { id: -20, bounding: [900, 0, 75, 100] },
            inputs: [{ id: 'a', name: 'clip', type: 'CLIP', linkIds: [1, 2] }],
            outputs: [{ id: 'b', name: 'positive', type: 'CONDITIONING', linkIds: [3] }, { id: 'c', name: 'negative', type: 'CONDITIONING', linkIds: [4] }],
            nodes: inner.map((n) => ({ ...n, inputs: [{ name: 'clip', type: 'CLIP', link: n.id === 6 ? 1 : 2 }] })),
            links: [
              { id: 1, origin_id: -10, origin_slot: 0, target_id: 6, target_slot: 0, type: 'CLIP' },
              { id: 2, origin_id: -10, origin_slot: 0, target_id: 7, target_slot: 0, type: 'CLIP' },
              { id: 3, origin_id: 6, origin_slot: 0, target_id: -20, target_slot: 0, type: 'CONDITIONING' },
              { id: 4, origin_id: 7, origin_slot: 0, target_id: -20, target_slot: 1, type: 'CONDITIONING' },
            ],
          }],
        },
      });
    });
    const { graph, issues } = convert(g);
    expect(issues).toEqual([]);
    expect(graph['50:6']).toEqual(comfyDefaultPrompt['6']);
    expect(graph['50:7']).toEqual(comfyDefaultPrompt['7']);
    expect(graph['3'].inputs.positive).toEqual(['50:6', 0]);
    expect(graph['3'].inputs.negative).toEqual(['50:7', 0]);
    expect(graph['50']).toBeUndefined();
    // And it validates and orders like any graph: the ids are ComfyUI's.
    expect(parseWorkflow(g, registry).issues).toEqual([]);
  });

  it('refuses what cannot be read, naming the node', () => {
    const broken = withDefault((_g, node) => { node(8).inputs[1].link = 99; });
    const { issues } = convert(broken);
    expect(issues).toEqual([expect.objectContaining({ code: 'link_invalid', nodeId: '8', input: 'vae', message: expect.stringContaining('VAEDecode #8: input "vae" uses link 99') })]);

    const shape = parseWorkflow(withDefault((_g, node) => { (node(3) as Record<string, unknown>).pos = 'left'; }), registry);
    expect(shape.issues[0]).toMatchObject({ code: 'workflow_invalid', nodeId: '3' });

    const loop = withDefault((g, node) => {
      node(8).inputs[1].link = 60;
      g.nodes.push(
        { id: 60, type: 'Reroute', pos: [0, 0], mode: 0, inputs: [{ name: '', type: '*', link: 61 }], outputs: [{ name: '', type: '*', links: [60, 62] }] } as never,
        { id: 61, type: 'Reroute', pos: [0, 0], mode: 0, inputs: [{ name: '', type: '*', link: 62 }], outputs: [{ name: '', type: '*', links: [61] }] } as never,
      );
      (g.links as unknown[]).push([60, 60, 0, 8, 1, 'VAE'], [61, 61, 0, 60, 0, '*'], [62, 60, 0, 61, 0, '*']);
    });
    expect(convert(loop).issues).toEqual([expect.objectContaining({ code: 'cycle', nodeId: '8', input: 'vae' })]);
  });

  it("maps LoadImage's upload value and by-name widget values", () => {
    const g = {
      last_node_id: 2, last_link_id: 1, version: 0.4,
      nodes: [
        { id: 1, type: 'LoadImage', pos: [0, 0], mode: 0, outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [1] }, { name: 'MASK', type: 'MASK', links: null }], widgets_values: ['example.png', 'image'] },
        { id: 2, type: 'PreviewImage', pos: [300, 0], mode: 0, inputs: [{ name: 'images', type: 'IMAGE', link: 1 }], widgets_values: {} },
      ],
      links: [[1, 1, 0, 2, 0, 'IMAGE']],
    };
    expect(convert(g).graph).toEqual({
      '1': { class_type: 'LoadImage', inputs: { image: 'example.png', upload: 'image' } },
      '2': { class_type: 'PreviewImage', inputs: { images: ['1', 0] } },
    });
  });
});
