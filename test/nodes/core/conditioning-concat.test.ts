import { describe, expect, it } from 'vitest';

import conditioningConcat from '../../../nodes/core/conditioning-concat.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { plain, prompt, tensor } from '../sampling/comfy/reference.ts';

describe('ConditioningConcat', () => {
  it("appends conditioning_from's tokens to every entry (the reference's torch.cat), keeping each entry's options", () => {
    const to = [{ ...plain(prompt(4))[0], strength: 0.7 }];
    const out = runNode(conditioningConcat, { conditioning_to: to, conditioning_from: plain(prompt(2)) }, testContext('ConditioningConcat')).CONDITIONING;
    expect(out[0].shape).toEqual([1, 154, 32]);
    expect(out[0].strength).toBe(0.7);
    expect(Array.from(out[0].embeddings)).toEqual(Array.from(tensor('conditioning.concat')));
  });

  it('uses only the first entry of conditioning_from, with a warning, and refuses different widths', () => {
    const ctx = testContext('ConditioningConcat', '4');
    runNode(conditioningConcat, { conditioning_to: plain(prompt(4)), conditioning_from: [...plain(prompt(2)), ...plain(prompt(0))] }, ctx);
    expect(ctx.warnings[0]).toMatch(/only the first is used/);
    const wide = [{ embeddings: new Float32Array(77 * 8), shape: [1, 77, 8] as const }];
    expect(() => runNode(conditioningConcat, { conditioning_to: plain(prompt(4)), conditioning_from: wide }, ctx)).toThrow(/the conditionings are 32 and 8 wide/);
  });
});
