import { describe, expect, it } from 'vitest';

import conditioningAverage from '../../../nodes/core/conditioning-average.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { plain, prompt, tensor } from '../sampling/comfy/reference.ts';

describe('ConditioningAverage', () => {
  it('to * s + from * (1 - s), as the reference computes it', () => {
    const out = runNode(conditioningAverage, 
      { conditioning_to: plain(prompt(4)), conditioning_from: plain(prompt(0)), conditioning_to_strength: 0.3 },
      testContext('ConditioningAverage'),
    ).CONDITIONING;
    expect(Array.from(out[0].embeddings)).toEqual(Array.from(tensor('conditioning.average')));
  });

  it("cuts a longer conditioning_from to the entry's tokens and pads a shorter one with zeros", () => {
    const to = [{ embeddings: new Float32Array(154 * 32).fill(2), shape: [1, 154, 32] as const }];
    const from = [{ embeddings: new Float32Array(77 * 32).fill(4), shape: [1, 77, 32] as const }];
    const out = runNode(conditioningAverage, { conditioning_to: to, conditioning_from: from, conditioning_to_strength: 0.5 }, testContext('ConditioningAverage')).CONDITIONING;
    expect(out[0].embeddings[0]).toBe(3);
    expect(out[0].embeddings[154 * 32 - 1]).toBe(1);
  });

  it("blends SDXL's pooled outputs the same way, or takes conditioning_from's when the entry has none (ComfyUI)", () => {
    const shape = [1, 77, 8] as const;
    const to = [{ embeddings: new Float32Array(77 * 8).fill(2), shape, pooled: Float32Array.of(1, 2) }];
    const from = [{ embeddings: new Float32Array(77 * 8), shape, pooled: Float32Array.of(3, 6) }];
    const blended = runNode(conditioningAverage, { conditioning_to: to, conditioning_from: from, conditioning_to_strength: 0.5 }, testContext('ConditioningAverage')).CONDITIONING;
    expect(Array.from(blended[0].pooled!)).toEqual([2, 4]);
    const taken = runNode(conditioningAverage, { conditioning_to: [{ ...to[0], pooled: undefined }], conditioning_from: from, conditioning_to_strength: 0.5 }, testContext('ConditioningAverage')).CONDITIONING;
    expect(Array.from(taken[0].pooled!)).toEqual([3, 6]);
  });
});
