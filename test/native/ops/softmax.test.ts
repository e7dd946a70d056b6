import { describe, expect, it } from 'vitest';

import { ops } from '../../../native/index.ts';
import { allFinite, FAST_IMPLS, random, relErr } from './helpers.ts';

describe.each(FAST_IMPLS)('softmax rows %s', (impl) => {
  it('matches the naive twin and a JS reference on odd row lengths and scales', () => {
    let seed = 1;
    for (const [M, N] of [[1, 1], [3, 7], [17, 77], [5, 4099], [64, 129]])
      for (const scale of [1, 0.125]) {
        const x = random(M * N, seed++, -20, 20);
        const fast = ops.softmaxRows(x, M, N, scale, impl);
        expect(allFinite(fast)).toBe(true);
        expect(relErr(fast, ops.softmaxRows(x, M, N, scale, 'naive')), `${M}x${N}`).toBeLessThan(1e-5);
        // JS reference, last row
        const row = Array.from(x.subarray((M - 1) * N), (v) => v * scale);
        const mx = Math.max(...row);
        const e = row.map((v) => Math.exp(v - mx));
        const s = e.reduce((p, v) => p + v, 0);
        expect(relErr(fast.subarray((M - 1) * N), e.map((v) => v / s))).toBeLessThan(1e-5);
        for (let m = 0; m < M; m++) {
          let sum = 0;
          for (let n = 0; n < N; n++) sum += fast[m * N + n];
          expect(sum).toBeCloseTo(1, 5);
        }
      }
  });

  it('large logits do not overflow; -Infinity entries get 0', () => {
    const x = new Float32Array([1e30, 1e30, -Infinity, 0, 88, 89, 90, -1e30, 5]);
    const fast = ops.softmaxRows(x, 1, 9, 1, impl);
    expect(allFinite(fast)).toBe(true);
    expect(fast[0]).toBeCloseTo(0.5, 6);
    expect(fast[2]).toBe(0);
  });
});
