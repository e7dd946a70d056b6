import { describe, expect, it } from 'vitest';

import { coreNodes } from '../../../nodes/core/index.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import { parseUiWorkflow, parseWorkflow, savedToUi, type UiWorkflow, uiToSaved, withoutDefaultExtras } from '../../../protocol/index.ts';
import { comfyDefaultGraph, comfyDefaultPrompt, comfyFeaturesGraph, FEATURES_NOTE, withDefault } from './ui-examples.ts';

const registry = new NodeRegistry();
registry.registerAll(coreNodes);

describe('saved form <-> ComfyUI UI format', () => {
  it("opens ComfyUI's default graph where ComfyUI drew it, and exports it back to a UI file that queues the same prompt", () => {
    const { workflow: ui } = parseUiWorkflow(comfyDefaultGraph());
    const { workflow: saved, issues } = uiToSaved(ui as UiWorkflow, registry, 'default');
    expect(issues).toEqual([]);
    expect(saved.nodes.find((n) => n.id === '3')!.position).toEqual({ x: 863, y: 186 });
    expect(saved.nodes.find((n) => n.id === '3')!.widgets).toMatchObject({ seed: 156680208700286, steps: 20, cfg: 8 });

    const back = savedToUi(saved, registry);
    expect(back.version).toBe(0.4);
    const ksampler = back.nodes.find((n) => n.id === 3)!;
    // ComfyUI's widget order, the seed's control as the file had it, then latentflow's own widgets.
    expect(saved.extra?.controls).toEqual({ '3': { seed: 'randomize' } });
    expect(ksampler.widgets_values).toEqual([156680208700286, 'randomize', 20, 8, 'euler', 'normal', 1, 'auto', 'model']);
    expect(ksampler.inputs!.map((i) => [i.name, i.link !== null])).toEqual([['model', true], ['positive', true], ['negative', true], ['latent_image', true]]);
    const parsed = parseWorkflow(JSON.parse(JSON.stringify(back)), registry);
    expect(parsed.form).toBe('ui');
    expect(parsed.issues).toEqual([]);
    expect(withoutDefaultExtras(parsed.graph!, registry)).toEqual(withoutDefaultExtras(parseWorkflow(comfyDefaultPrompt).graph!, registry));
  });

  it('Export API leaves out attention, weight_dtype and precision at their defaults only', () => {
    const graph = parseWorkflow(comfyDefaultPrompt).graph!;
    graph['3'].inputs.attention = 'flash';
    graph['3'].inputs.precision = 'model';
    graph['4'].inputs.weight_dtype = 'f32';
    const out = withoutDefaultExtras(graph, registry);
    expect(out['3'].inputs.attention).toBe('flash');
    expect(out['3'].inputs).not.toHaveProperty('precision');
    expect(out['4'].inputs).toEqual({ ckpt_name: 'v1-5-pruned-emaonly.safetensors' });
  });

  it('draws what the file draws: groups, notes, Reroute nodes, native reroutes, modes, titles and colours, and writes them back', () => {
    const original = comfyFeaturesGraph();
    const { workflow: ui } = parseUiWorkflow(original);
    const { workflow: saved, issues } = uiToSaved(ui!, registry, 'features');
    expect(issues).toEqual([]);
    expect(saved.nodes.map((n) => n.id).sort((a, b) => Number(a) - Number(b))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    const node = (id: string) => saved.nodes.find((n) => n.id === id)!;
    expect(node('2')).toMatchObject({ title: 'Positive prompt', color: '#232', bgcolor: '#353', widgets: { text: 'a small cat' } });
    expect(node('7').mode).toBe(4);
    expect(node('9').mode).toBe(2);
    expect(node('5').mode).toBeUndefined();
    expect(node('11')).toMatchObject({ type: 'MarkdownNote', widgets: { text: FEATURES_NOTE }, color: '#432' });
    expect(node('12')).toMatchObject({ type: 'Note', widgets: { text: 'A plain note' }, properties: { text: '' } });
    expect(node('10').type).toBe('Reroute');
    expect(saved.edges).toContainEqual({ from: { node: '1', output: 2 }, to: { node: '10', input: 'input' } });
    expect(saved.edges).toContainEqual({ from: { node: '10', output: 0 }, to: { node: '6', input: 'vae' } });
    expect(saved.edges).toContainEqual({ from: { node: '5', output: 0 }, to: { node: '6', input: 'samples' }, parentId: 1 });
    expect(saved.extra).toMatchObject({
      groups: [{ title: 'Loaders', bounding: [-20, -60, 380, 260], color: '#8A8', font_size: 24 }],
      reroutes: [{ id: 1, pos: [1300, 80] }],
      viewport: { x: 24, y: 72, zoom: 0.6 },
    });

    const back = JSON.parse(JSON.stringify(savedToUi(saved, registry))) as UiWorkflow;
    expect(parseUiWorkflow(back).issues).toEqual([]);
    expect(back.groups).toEqual([{ id: 1, title: 'Loaders', bounding: [-20, -60, 380, 260], color: '#8A8', font_size: 24, flags: {} }]);
    const uiNode = (id: number) => back.nodes.find((n) => n.id === id)!;
    expect(uiNode(7).mode).toBe(4);
    expect(uiNode(9).mode).toBe(2);
    expect(uiNode(2)).toMatchObject({ title: 'Positive prompt', color: '#232', bgcolor: '#353' });
    expect(uiNode(11)).toMatchObject({ type: 'MarkdownNote', widgets_values: [FEATURES_NOTE], inputs: [], outputs: [] });
    expect(uiNode(10).inputs).toMatchObject([{ name: '', type: '*' }]);
    expect(uiNode(10).outputs).toMatchObject([{ name: '', type: 'VAE' }]);
    const samples = back.links!.find((l) => Array.isArray(l) && l[3] === 6 && l[4] === 0) as unknown[];
    expect(back.extra).toMatchObject({ ds: { scale: 0.6, offset: [40, 120] }, reroutes: [{ id: 1, pos: [1300, 80], linkIds: [samples[0]] }], linkExtensions: [{ id: samples[0], parentId: 1 }] });
    // The file written back runs as the file read: notes and the muted SaveImage left out, ImageScaleBy passed through.
    const ran = parseWorkflow(back, registry);
    expect(ran.issues).toEqual([]);
    expect(withoutDefaultExtras(ran.graph!, registry)).toEqual(withoutDefaultExtras(parseWorkflow(original, registry).graph!, registry));
    expect(Object.keys(ran.graph!).sort()).toEqual(['1', '2', '3', '4', '5', '6', '8']);
    expect(ran.graph!['8'].inputs.images).toEqual(['6', 0]);
    expect(ran.graph!['6'].inputs.vae).toEqual(['1', 2]);
    // Reading it again and writing it again gives the same file (the first write filled in the defaults).
    const again = uiToSaved(parseUiWorkflow(back).workflow!, registry, 'features').workflow;
    expect(again.nodes.map((n) => [n.id, n.type, n.mode, n.title, n.color, n.bgcolor])).toEqual(saved.nodes.map((n) => [n.id, n.type, n.mode, n.title, n.color, n.bgcolor]));
    expect(again.edges).toEqual(saved.edges);
    expect(JSON.parse(JSON.stringify(savedToUi(again, registry)))).toEqual(back);
  });

  it('writes primitives into the widgets they feed and keeps the values and links of node types this server lacks', () => {
    const g = withDefault((g, node) => {
      node(3).inputs!.push({ name: 'seed', type: 'INT', link: 10, widget: { name: 'seed' } } as never);
      g.nodes.push(
        { id: 10, type: 'PrimitiveNode', pos: [0, 0], mode: 0, outputs: [{ name: 'INT', type: 'INT', links: [10], widget: { name: 'seed' } }], widgets_values: [777, 'fixed'] } as never,
        { id: 11, type: 'SomeCustomNode', pos: [0, 200], mode: 0, inputs: [{ name: 'image', type: 'IMAGE', link: 11 }], outputs: [{ name: 'IMAGE', type: 'IMAGE', links: [] }], widgets_values: [3, 'lanczos'] } as never,
      );
      (g.links as unknown[]).push([10, 10, 0, 3, 4, 'INT'], [11, 8, 0, 11, 0, 'IMAGE']);
    });
    const { workflow: saved } = uiToSaved(parseUiWorkflow(g).workflow!, registry, 'primitives');
    expect(saved.nodes.some((n) => n.id === '10')).toBe(false);
    expect(saved.nodes.find((n) => n.id === '3')!.widgets.seed).toBe(777);
    expect(saved.nodes.find((n) => n.id === '11')!.widgets).toEqual({ 0: 3, 1: 'lanczos' });
    const back = savedToUi(saved, registry);
    const custom = back.nodes.find((n) => n.id === 11)!;
    expect(custom.widgets_values).toEqual([3, 'lanczos']);
    expect(custom.inputs).toMatchObject([{ name: 'image', type: '*' }]);
    expect(back.links).toContainEqual([expect.any(Number), 8, 0, 11, 0, 'IMAGE']);
  });

  it('keeps non-numeric node ids when asked (the editor runs with its own ids) and numbers them otherwise', () => {
    const saved = {
      version: 1 as const,
      name: 'ids',
      nodes: [
        { id: '12:7', type: 'EmptyLatentImage', position: { x: 0, y: 0 }, widgets: { width: 64, height: 64, batch_size: 1 } },
        { id: '3', type: 'VAEDecode', position: { x: 300, y: 0 }, widgets: {} },
      ],
      edges: [],
    };
    expect(savedToUi(saved, registry).nodes.map((n) => n.id)).toEqual([4, 3]);
    const kept = savedToUi(saved, registry, { keepIds: true });
    expect(kept.nodes.map((n) => n.id)).toEqual(['12:7', 3]);
    expect(Object.keys(parseWorkflow(kept, registry).graph!).sort()).toEqual(['12:7', '3']);
  });
});
