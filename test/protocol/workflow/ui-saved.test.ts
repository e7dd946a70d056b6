import { describe, expect, it } from 'vitest';

import { coreNodes } from '../../../nodes/core/index.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import { parseUiWorkflow, parseWorkflow, savedToUi, type UiWorkflow, uiToSaved, withoutDefaultExtras } from '../../../protocol/index.ts';
import { comfyDefaultGraph, comfyDefaultPrompt } from './ui-examples.ts';

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
    // ComfyUI's widget order, the seed's control "fixed" (the file makes the same picture), then latentflow's own widgets.
    expect(ksampler.widgets_values).toEqual([156680208700286, 'fixed', 20, 8, 'euler', 'normal', 1, 'auto', 'model']);
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
});
