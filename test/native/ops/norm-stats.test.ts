// The tiled decode's region ops (native/src/ops/norm_stats.cc): region_gather against its naive twin
// on awkward regions (halo outside the image, up-sampling, a batch stride wider than the map), the
// whole-image gather with statistics against group_norm, and region_scatter's sums against plain JS.
import { describe, expect, it } from 'vitest';

import { ops } from '../../../native/index.ts';
import { FAST_IMPLS, random, relErr } from './helpers.ts';

describe.each(FAST_IMPLS)('region gather (%s) vs naive', (impl) => {
  const map = { B: 2, C: 6, H: 5, W: 7, batchStride: 6 * 5 * 7 + 11 };
  const x = random(map.B * map.batchStride, 3, -2, 3);
  const gamma = random(6, 4, 0.5, 1.5), beta = random(6, 5);
  it.each([
    { y0: -1, x0: -1, rh: 7, rw: 9, upsample: 1 }, // the whole map with a 1-pixel halo
    { y0: 2, x0: 3, rh: 3, rw: 5, upsample: 1 }, // reaching out at the right
    { y0: -1, x0: 5, rh: 4, rw: 11, upsample: 2 }, // up-sampled, odd start
    { y0: 8, x0: -3, rh: 5, rw: 6, upsample: 2 }, // up-sampled, bottom-left corner
    { y0: 9, x0: 0, rh: 2, rw: 3, upsample: 1 }, // entirely outside: zeros
  ])('region %o', (region) => {
    for (const norm of [undefined, { groups: 3, gamma, beta, eps: 1e-6, silu: true }, { groups: 2, gamma, beta, eps: 1e-6, silu: false }]) {
      const fast = ops.regionGather(x, map, region, { norm, impl });
      const naive = ops.regionGather(x, map, region, { norm, impl: 'naive' });
      expect(relErr(fast, naive), `norm ${norm ? norm.groups : 'none'}`).toBeLessThan(1e-6);
    }
  });
});

describe('region gather with whole-image statistics', () => {
  it('over the whole map equals group_norm (+ SiLU)', () => {
    const B = 2, C = 64, H = 9, W = 13;
    const x = random(B * C * H * W, 7, -1, 4); // mean far from 0
    const gamma = random(C, 8, 0.5, 1.5), beta = random(C, 9);
    const gathered = ops.regionGather(x, { B, C, H, W }, { y0: 0, x0: 0, rh: H, rw: W }, { norm: { groups: 32, gamma, beta, eps: 1e-6, silu: true } });
    const reference = ops.groupNorm(x, { B, C, S: H * W }, 32, gamma, beta, { eps: 1e-6, silu: true, impl: 'naive' });
    expect(relErr(gathered, reference)).toBeLessThan(1e-5);
  });
});

describe('region scatter', () => {
  it('writes tile (+ residual, in place) and returns the sums of what it wrote', () => {
    const map = { B: 2, C: 4, H: 6, W: 5 };
    const n = 2 * 4 * 6 * 5;
    const dst = random(n, 11);
    const before = Float32Array.from(dst);
    const tile = random(2 * 4 * 3 * 2, 12);
    const region = { y0: 3, x0: 2, rh: 3, rw: 2 };
    const sums = ops.regionScatter(tile, dst, map, region, { residual: dst, groups: 2 })!;
    const expectSum = new Float64Array(4), expectSq = new Float64Array(4);
    for (let b = 0; b < 2; b++)
      for (let c = 0; c < 4; c++)
        for (let y = 0; y < 6; y++)
          for (let x = 0; x < 5; x++) {
            const o = ((b * 4 + c) * 6 + y) * 5 + x;
            const inside = y >= 3 && x >= 2 && x < 4;
            const v = inside ? Math.fround(tile[((b * 4 + c) * 3 + y - 3) * 2 + x - 2] + before[o]) : before[o];
            expect(dst[o]).toBe(v);
            if (inside) {
              expectSum[b * 2 + (c >> 1)] += v;
              expectSq[b * 2 + (c >> 1)] += v * v;
            }
          }
    expect(relErr(sums.subarray(0, 4), expectSum)).toBeLessThan(1e-12);
    expect(relErr(sums.subarray(4), expectSq)).toBeLessThan(1e-12);
  });
});
