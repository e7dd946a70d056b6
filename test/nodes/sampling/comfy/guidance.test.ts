// Guidance over conditioning lists with a synthetic UNet whose x0 prediction is the first value of its context:
// the blend weights (strength, feathered area edges), same-area copies, timestep ranges and the cfg formula.
import { describe, expect, it } from 'vitest';

import type { ConditioningEntry } from '../../../../nodes/sampling/comfy/conditioning.ts';
import { guidedPrediction, prepareConditioning, type UNetCall } from '../../../../nodes/sampling/comfy/guidance.ts';
import { eps } from './reference.ts';

const SIGMA = 2;
const entry = (value: number, extra: Partial<ConditioningEntry> = {}): ConditioningEntry => ({ embeddings: new Float32Array(77 * 4).fill(value), shape: [1, 77, 4], ...extra });

/** x0 = the first context value of each batch element (input x is all zeros: denoised = -output * sigma). */
function constantUnet(calls: Array<{ batch: number; h: number; w: number }>, sigma = SIGMA): UNetCall {
  return async (x, shape, _timestep, context) => {
    calls.push({ batch: shape[0], h: shape[2], w: shape[3] });
    const per = x.length / shape[0];
    const tokens = context.length / shape[0];
    const out = new Float32Array(x.length);
    for (let b = 0; b < shape[0]; b++) out.fill(-context[b * tokens] / sigma, b * per, (b + 1) * per);
    return out;
  };
}

describe('guidance', () => {
  it('blends a feathered area entry with the full one by weight (cfg 1: no negative pass)', async () => {
    const calls: Array<{ batch: number; h: number; w: number }> = [];
    const conditioning = prepareConditioning(eps, { positive: [entry(1), entry(5, { area: { unit: 'latent', height: 8, width: 8, y: 4, x: 0 }, strength: 2 })], negative: [entry(0)] }, 16, 16);
    const x0 = await guidedPrediction(constantUnet(calls), eps, conditioning, 1, new Float32Array(4 * 16 * 16), [1, 4, 16, 16], SIGMA);
    // rr = min(8, 8 / 4) = 2: the top edge (y != 0) and the bottom edge (12 < 16) fade by 1/2, 2/2; the left edge
    // touches the border, the right one (x 8 < 16) fades.
    const rowFactor = (r: number) => (r === 4 || r === 11 ? 0.5 : 1);
    const columnFactor = (c: number) => (c === 7 ? 0.5 : 1);
    for (const [r, c] of [[0, 0], [4, 0], [5, 3], [11, 7], [6, 7], [8, 12]]) {
      const inside = r >= 4 && r < 12 && c < 8;
      const w = inside ? 2 * rowFactor(r) * columnFactor(c) : 0;
      expect(x0[r * 16 + c]).toBeCloseTo((1 + 5 * w) / (1 + w), 5);
    }
    expect(calls.map((c) => [c.batch, c.h, c.w]).sort()).toEqual([[1, 16, 16], [1, 8, 8]]);
  });

  it('gives the negative a same-area entry with its own embeddings, batched with the positive area entry', async () => {
    const conditioning = prepareConditioning(eps, { positive: [entry(1), entry(5, { area: { unit: 'percentage', height: 0.5, width: 0.5, y: 0, x: 0 } })], negative: [entry(-1)] }, 16, 16);
    expect(conditioning.negative).toHaveLength(2);
    expect(conditioning.negative![1].area).toEqual([8, 8, 0, 0]);
    expect(conditioning.negative![1].embeddings[0]).toBe(-1);
    const calls: Array<{ batch: number; h: number; w: number }> = [];
    const x0 = await guidedPrediction(constantUnet(calls), eps, conditioning, 3, new Float32Array(4 * 16 * 16), [1, 4, 16, 16], SIGMA);
    expect(calls.map((c) => [c.batch, c.h, c.w]).sort()).toEqual([[2, 16, 16], [2, 8, 8]]);
    // Outside the area: uncond -1, cond 1 -> -1 + 3 * 2 = 5.
    expect(x0[15 * 16 + 15]).toBeCloseTo(5, 5);
  });

  it('skips entries outside their timestep range', async () => {
    const late = entry(7, { startPercent: 0.5, endPercent: 1 });
    const conditioning = prepareConditioning(eps, { positive: [entry(1), late] }, 8, 8);
    const boundary = eps.percentToSigma(0.5);
    const at = async (sigma: number) => (await guidedPrediction(constantUnet([], sigma), eps, conditioning, 1, new Float32Array(256), [1, 4, 8, 8], sigma))[0];
    expect(await at(boundary * 2)).toBeCloseTo(1, 5);
    expect(await at(boundary / 2)).toBeCloseTo(4, 5);
  });
});
