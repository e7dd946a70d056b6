import { describe, expect, it } from 'vitest';

import { ops } from '../../../native/index.ts';
import { FAST_IMPLS, firstDifference, random } from './helpers.ts';

describe.each(FAST_IMPLS)('elementwise %s', (impl) => {
  it('binary_broadcast equals the naive twin on broadcasting patterns', () => {
    const cases: Array<[number[], number[]]> = [
      [[2, 320, 8, 8], [2, 320, 1, 1]], // per-channel
      [[2, 77, 768], [768]], // per-feature bias
      [[1, 3, 1, 5], [4, 1, 6, 1]], // both broadcast
      [[7], [1]],
      [[1], [7]],
      [[3, 1], [1, 1]],
      [[5, 4, 3], [5, 4, 3]],
      [[2, 1, 3], [1, 4, 1]],
      [[], [3]],
      [[4, 100000], [1, 100000]], // large: threaded rows
    ];
    let seed = 1;
    for (const [as, bs] of cases)
      for (const op of ['add', 'mul'] as const) {
        const a = random(as.reduce((p, d) => p * d, 1), seed++), b = random(bs.reduce((p, d) => p * d, 1), seed++);
        expect(firstDifference(ops.binary(op, a, as, b, bs, impl), ops.binary(op, a, as, b, bs, 'naive')), `${op} ${JSON.stringify(as)} ${JSON.stringify(bs)}`).toBe(-1);
      }
  });

  it('binary_broadcast computes the definition (JS check) and rejects shapes that do not broadcast', () => {
    const a = random(6, 1), b = random(3, 2);
    const y = ops.binary('mul', a, [2, 3], b, [3], impl);
    for (let i = 0; i < 6; i++) expect(y[i]).toBe(Math.fround(a[i] * b[i % 3]));
    expect(() => ops.binary('add', random(6, 1), [2, 3], random(4, 2), [4], impl))
      .toThrow(expect.objectContaining({ code: 'SDN_STATUS_BAD_SHAPE' }));
  });

  it('add, scale and add_per_channel equal their twins (small and threaded sizes)', () => {
    for (const n of [1, 7, 100_003]) {
      const a = random(n, n), b = random(n, n + 1);
      expect(firstDifference(ops.add(a, b, impl), ops.add(a, b, 'naive'))).toBe(-1);
      expect(firstDifference(ops.scale(a, 0.18215, impl), ops.scale(a, 0.18215, 'naive'))).toBe(-1);
    }
    for (const [B, C, S] of [[1, 1, 1], [2, 3, 5], [2, 320, 4096]]) {
      const x = random(B * C * S, 9), v = random(B * C, 10);
      const y = ops.addPerChannel(x, v, B, C, S, impl);
      expect(firstDifference(y, ops.addPerChannel(x, v, B, C, S, 'naive'))).toBe(-1);
      expect(y[S * C * (B - 1) + S - 1]).toBe(Math.fround(x[S * C * (B - 1) + S - 1] + v[C * (B - 1)]));
    }
  });
});
