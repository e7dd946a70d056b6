// ControlNets in ComfyUI's sampling (nodes/sampling/comfy/control.ts, guidance.ts): which ControlNets a UNet call
// runs at a sigma (start/end percent as ComfyUI's get_control), the hint resized to the call's latent and spread
// over its batch (broadcast_image_to), and batching only entries that share their ControlNets.
import { describe, expect, it } from 'vitest';

import type { ControlNetHandle, UnetControl } from '../../../../native/index.ts';
import type { Conditioning, ControlChain } from '../../../../nodes/sampling/comfy/conditioning.ts';
import { broadcastToBatch, controlPreparer, controlsAt, controlsForPlan, prepareWholeSchedule } from '../../../../nodes/sampling/comfy/control.ts';
import { predictLists, prepareConditioning } from '../../../../nodes/sampling/comfy/guidance.ts';
import { eps, plain, prompt } from './reference.ts';

// What control.ts reads of a ControlNet: its hint factor and channels (the engine is not called here).
const net = { hintFactor: 8, hintChannels: 3 } as unknown as ControlNetHandle;

function link(over: Partial<ControlChain> = {}): ControlChain {
  const hintShape = over.hintShape ?? [1, 3, 64, 64];
  const hint = over.hint ?? new Float32Array(hintShape.reduce((a, b) => a * b, 1)).map((_, i) => (i % 97) / 97);
  return { controlnet: net, globalAveragePooling: false, hint, hintShape, strength: 1, startPercent: 0, endPercent: 1, ...over };
}

describe('ComfyUI control timing and hints', () => {
  it('a link runs where percent_to_sigma(end) <= sigma <= percent_to_sigma(start); earlier links first', () => {
    const first = link({ strength: 0.5 });
    const second = link({ strength: 2, startPercent: 0.2, endPercent: 0.6, previous: first });
    const prepared = controlPreparer(eps)(second)!;
    const hi = eps.percentToSigma(0.2), lo = eps.percentToSigma(0.6);
    const strengths = (sigma: number) => controlsAt(prepared, sigma, 1, 8, 8, 1).map((c) => c.strength);
    expect(strengths(hi * 1.01)).toEqual([0.5]);
    expect(strengths(hi)).toEqual([0.5, 2]);
    expect(strengths((hi + lo) / 2)).toEqual([0.5, 2]);
    expect(strengths(lo)).toEqual([0.5, 2]);
    expect(strengths(lo * 0.99)).toEqual([0.5]);
  });

  it('the hint is resized to 8x the call\'s latent (nearest-exact after a center crop) and cached per size', () => {
    const prepared = controlPreparer(eps)(link({ hintShape: [1, 3, 32, 48] }))!;
    const [c] = controlsAt(prepared, 1, 2, 4, 4, 2);
    expect(c.hintShape).toEqual([1, 3, 32, 32]); // a batch-1 hint stays one (the engine broadcasts it)
    // center crop 48 -> 32 columns (8 cut at each side), same height: a copy of the middle columns
    const src = prepared.links[0].link.hint;
    expect(c.hint[5 * 32 + 0]).toBe(src[5 * 48 + 8]);
    expect(controlsAt(prepared, 1, 2, 4, 4, 2)[0].hint).toBe(c.hint);
  });

  it('broadcast_image_to: batch 1 stays, otherwise the first target/batched items repeated, then the whole per condition', () => {
    const items = Float32Array.of(10, 11, 12);
    expect(broadcastToBatch(items.subarray(0, 1), 1, 1, 6, 2)).toEqual({ data: Float32Array.of(10), batch: 1 });
    expect(broadcastToBatch(items, 3, 1, 4, 2)).toEqual({ data: Float32Array.of(10, 11, 10, 11), batch: 4 });
    expect(broadcastToBatch(items.subarray(0, 2), 2, 1, 6, 2)).toEqual({ data: Float32Array.of(10, 11, 10, 10, 11, 10), batch: 6 });
    expect(broadcastToBatch(items, 3, 1, 3, 1).data).toBe(items);
  });

  it('the memory plan counts the longest chain, hint batch 1 or the call\'s', () => {
    const a = link();
    const b = link({ hintShape: [2, 3, 64, 64], previous: a });
    const lists: Conditioning[] = [[{ ...plain(prompt(4))[0], control: b }], [{ ...plain(prompt(5))[0], control: a }]];
    expect(controlsForPlan(lists, 4).map((c) => c.hintBatch)).toEqual([4, 1]) // the latest applied first;
  });

  it('the diffusers loop takes whole-schedule ControlNets only, naming the fix', () => {
    expect(prepareWholeSchedule(link()).links).toHaveLength(1);
    expect(() => prepareWholeSchedule(link({ endPercent: 0.5 }))).toThrow(/needs a ComfyUI scheduler/);
  });
});

describe('ComfyUI batching with ControlNets', () => {
  const shape = [1, 4, 8, 8] as const;
  const x = new Float32Array(256).map((_, i) => Math.sin(i));

  async function calls(positive: Conditioning, negative: Conditioning) {
    const seen: { batch: number; controls?: UnetControl[] }[] = [];
    const prepared = prepareConditioning(eps, { positive, negative }, 8, 8);
    await predictLists(
      async (input, s, _t, _c, _a, controls) => {
        seen.push({ batch: s[0], controls });
        return new Float32Array(input.length);
      },
      eps,
      [prepared.positive, prepared.negative!],
      x,
      shape,
      5,
    );
    return seen;
  }

  it('cond and uncond sharing one chain (ControlNetApplyAdvanced) run as one batch with its ControlNets, hint spread per condition', async () => {
    const chain = link({ hintShape: [1, 3, 64, 64] });
    const seen = await calls([{ ...plain(prompt(4))[0], control: chain }], [{ ...plain(prompt(5))[0], control: chain }]);
    expect(seen).toHaveLength(1);
    expect(seen[0].batch).toBe(2);
    expect(seen[0].controls).toHaveLength(1);
  });

  it('a chain on the positive side only (ControlNetApply) runs cond with it and uncond without, in separate calls', async () => {
    const seen = await calls([{ ...plain(prompt(4))[0], control: link() }], plain(prompt(5)));
    expect(seen.map((s) => s.controls?.length ?? 0).sort()).toEqual([0, 1]);
  });
});
