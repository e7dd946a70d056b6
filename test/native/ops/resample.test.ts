import { describe, expect, it } from 'vitest';

import { ops } from '../../../native/index.ts';
import { FAST_IMPLS, firstDifference, random } from './helpers.ts';

describe.each(FAST_IMPLS)('resample %s', (impl) => {
  it('2x nearest up-sampling equals the naive twin and the definition', () => {
    const shape = { B: 2, C: 3, H: 13, W: 9 };
    const x = random(2 * 3 * 13 * 9, 1);
    const y = ops.upsampleNearest(x, shape, 26, 18, impl);
    expect(firstDifference(y, ops.upsampleNearest(x, shape, 26, 18, 'naive'))).toBe(-1);
    for (let oy = 0; oy < 26; oy++)
      for (let ox = 0; ox < 18; ox++) expect(y[(5 * 26 + oy) * 18 + ox]).toBe(x[(5 * 13 + (oy >> 1)) * 9 + (ox >> 1)]);
  });

  it('general sizes (up and down, non-integer ratios) equal the naive twin', () => {
    const shape = { B: 1, C: 5, H: 7, W: 11 };
    const x = random(5 * 7 * 11, 2);
    for (const [Ho, Wo] of [[7, 11], [10, 23], [3, 4], [1, 1], [21, 33], [64, 64]]) {
      expect(firstDifference(ops.upsampleNearest(x, shape, Ho, Wo, impl), ops.upsampleNearest(x, shape, Ho, Wo, 'naive')), `${Ho}x${Wo}`).toBe(-1);
    }
  });

  it('concatenates channels (incl. empty parts and large inputs split across threads)', () => {
    for (const [B, Ca, Cb, S] of [[2, 3, 5, 7], [1, 0, 4, 9], [2, 4, 0, 9], [2, 320, 640, 257]]) {
      const a = random(B * Ca * S, 3), b = random(B * Cb * S, 4);
      const y = ops.concatChannels(a, Ca, b, Cb, B, S, impl);
      expect(firstDifference(y, ops.concatChannels(a, Ca, b, Cb, B, S, 'naive'))).toBe(-1);
      if (Ca > 0) expect(y[S * (Ca + Cb)]).toBe(a[S * Ca]); // batch 1, channel 0 comes from a
    }
  });
});
