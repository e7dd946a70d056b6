import { describe, expect, it } from 'vitest';

import { ops } from '../../../native/index.ts';
import { allFinite, FAST_IMPLS, random, relErr } from './helpers.ts';

// Plain-JS group norm (double precision), independent of the C++ naive twin.
function groupNormRef(x: Float32Array, B: number, C: number, S: number, groups: number, gamma: Float32Array,
  beta: Float32Array, eps: number, silu: boolean): Float64Array {
  const y = new Float64Array(x.length);
  const cpg = C / groups;
  for (let b = 0; b < B; b++)
    for (let g = 0; g < groups; g++) {
      const base = (b * C + g * cpg) * S, n = cpg * S;
      let mean = 0;
      for (let i = 0; i < n; i++) mean += x[base + i];
      mean /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (x[base + i] - mean) ** 2;
      v /= n;
      const inv = 1 / Math.sqrt(v + eps);
      for (let i = 0; i < n; i++) {
        const c = g * cpg + Math.floor(i / S);
        let o = (x[base + i] - mean) * inv * gamma[c] + beta[c];
        if (silu) o = o / (1 + Math.exp(-o));
        y[base + i] = o;
      }
    }
  return y;
}

const TOL = 1e-5;

describe.each(FAST_IMPLS)('group norm %s', (impl) => {
  it('32 groups on SD-like and odd shapes, with and without SiLU, matches JS and naive', () => {
    let seed = 1;
    const shapes = [
      { B: 2, C: 64, S: 13 * 9 },
      { B: 1, C: 32, S: 1 },
      { B: 1, C: 320, S: 8 * 8 },
      { B: 1, C: 96, S: 1031 }, // a group spans several 1024-element runs
    ];
    for (const { B, C, S } of shapes)
      for (const silu of [false, true]) {
        // An offset mean makes the variance computation sensitive to cancellation.
        const x = random(B * C * S, seed++, 2.5, 4.5), gamma = random(C, seed++, 0.5, 1.5), beta = random(C, seed++);
        const fast = ops.groupNorm(x, { B, C, S }, 32, gamma, beta, { eps: 1e-5, silu, impl });
        expect(allFinite(fast)).toBe(true);
        const ctx = `B${B} C${C} S${S} silu=${silu}`;
        expect(relErr(fast, groupNormRef(x, B, C, S, 32, gamma, beta, 1e-5, silu)), ctx).toBeLessThan(TOL);
        expect(relErr(fast, ops.groupNorm(x, { B, C, S }, 32, gamma, beta, { eps: 1e-5, silu, impl: 'naive' })), ctx).toBeLessThan(TOL);
      }
  });

  it('other group counts, eps 1e-6, and in place (y = x)', () => {
    const B = 1, C = 12, S = 77;
    const x = random(B * C * S, 50), gamma = random(C, 51), beta = random(C, 52);
    const y = Float32Array.from(x);
    ops.groupNorm(y, { B, C, S }, 4, gamma, beta, { eps: 1e-6, y, impl });
    expect(relErr(y, groupNormRef(x, B, C, S, 4, gamma, beta, 1e-6, false))).toBeLessThan(TOL);
  });

  it('a constant group gives beta (variance 0, no NaN)', () => {
    const x = new Float32Array(64 * 5).fill(3), gamma = random(64, 60), beta = random(64, 61);
    const y = ops.groupNorm(x, { B: 1, C: 64, S: 5 }, 32, gamma, beta, { impl });
    for (let c = 0; c < 64; c++) for (let s = 0; s < 5; s++) expect(y[c * 5 + s]).toBeCloseTo(beta[c], 6);
  });

  it('rejects channels that do not split into the groups', () => {
    expect(() => ops.groupNorm(random(30, 1), { B: 1, C: 10, S: 3 }, 32, random(10, 2), random(10, 3), { impl }))
      .toThrow(expect.objectContaining({ code: 'SDN_STATUS_BAD_SHAPE' }));
  });
});

describe.each(FAST_IMPLS)('layer norm %s', (impl) => {
  it('matches the naive twin and a JS reference on odd widths', () => {
    let seed = 100;
    for (const [M, D] of [[1, 1], [7, 17], [77, 768], [3, 1000], [129, 320]]) {
      const x = random(M * D, seed++, -3, 5), gamma = random(D, seed++), beta = random(D, seed++);
      const fast = ops.layerNorm(x, M, D, gamma, beta, { impl });
      const naive = ops.layerNorm(x, M, D, gamma, beta, { impl: 'naive' });
      expect(relErr(fast, naive), `${M}x${D}`).toBeLessThan(TOL);
      // JS reference for the first row
      let mean = 0, v = 0;
      for (let d = 0; d < D; d++) mean += x[d];
      mean /= D;
      for (let d = 0; d < D; d++) v += (x[d] - mean) ** 2;
      const inv = 1 / Math.sqrt(v / D + 1e-5);
      const row = Array.from({ length: D }, (_, d) => (x[d] - mean) * inv * gamma[d] + beta[d]);
      expect(relErr(fast.subarray(0, D), row)).toBeLessThan(TOL);
    }
  });
});
