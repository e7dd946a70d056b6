import { describe, expect, it } from 'vitest';

import { conv2dOutShape, ops } from '../../../native/index.ts';
import { allFinite, FAST_IMPLS, random, relErr, toHalf } from './helpers.ts';

// Plain-JS reference (direct convolution in double), independent of the C++ naive twin.
function conv2dRef(x: Float32Array, xs: number[], w: Float32Array, ws: number[], stride: number, pad: number,
  bias: Float32Array | null, residual: Float32Array | null): Float64Array {
  const [B, Cin, H, W] = xs;
  const [Cout, , KH, KW] = ws;
  const Ho = Math.floor((H + 2 * pad - KH) / stride) + 1, Wo = Math.floor((W + 2 * pad - KW) / stride) + 1;
  const y = new Float64Array(B * Cout * Ho * Wo);
  for (let b = 0; b < B; b++)
    for (let co = 0; co < Cout; co++)
      for (let oy = 0; oy < Ho; oy++)
        for (let ox = 0; ox < Wo; ox++) {
          let s = bias ? bias[co] : 0;
          for (let ci = 0; ci < Cin; ci++)
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * stride - pad + ky;
              if (iy < 0 || iy >= H) continue;
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * stride - pad + kx;
                if (ix < 0 || ix >= W) continue;
                s += x[((b * Cin + ci) * H + iy) * W + ix] * w[((co * Cin + ci) * KH + ky) * KW + kx];
              }
            }
          const o = ((b * Cout + co) * Ho + oy) * Wo + ox;
          y[o] = s + (residual ? residual[o] : 0);
        }
  return y;
}

const TOL = 1e-5; // relative to max |ref|

type Case = { B: number; Cin: number; Cout: number; H: number; W: number; k: number; stride: number; pad: number };
const CASES: Case[] = [
  { B: 1, Cin: 3, Cout: 5, H: 13, W: 9, k: 3, stride: 1, pad: 1 }, // odd H/W
  { B: 2, Cin: 7, Cout: 17, H: 13, W: 9, k: 3, stride: 2, pad: 1 }, // stride 2, odd sizes
  { B: 1, Cin: 16, Cout: 8, H: 20, W: 40, k: 3, stride: 1, pad: 1 }, // rows wider than a 16-column panel
  { B: 2, Cin: 9, Cout: 33, H: 11, W: 17, k: 1, stride: 1, pad: 0 }, // 1x1 as a plain GEMM
  { B: 1, Cin: 4, Cout: 7, H: 12, W: 12, k: 1, stride: 2, pad: 0 }, // 1x1 strided (im2col path)
  { B: 1, Cin: 5, Cout: 6, H: 9, W: 7, k: 3, stride: 1, pad: 0 }, // no padding
  { B: 1, Cin: 2, Cout: 3, H: 1, W: 1, k: 3, stride: 1, pad: 1 }, // 1x1 image
  { B: 1, Cin: 3, Cout: 4, H: 10, W: 8, k: 5, stride: 3, pad: 2 }, // other kernel size
];

function describeCase(c: Case): string {
  return `B${c.B} ${c.Cin}->${c.Cout} ${c.H}x${c.W} k${c.k} s${c.stride} p${c.pad}`;
}

describe.each(FAST_IMPLS)('conv2d %s', (impl) => {
  it('matches the plain-JS reference and the naive twin (f32, bias, residual)', () => {
    let seed = 1;
    for (const c of CASES) {
      const xShape = [c.B, c.Cin, c.H, c.W] as [number, number, number, number];
      const wShape = [c.Cout, c.Cin, c.k, c.k] as [number, number, number, number];
      const x = random(c.B * c.Cin * c.H * c.W, seed++), w = random(c.Cout * c.Cin * c.k * c.k, seed++);
      const bias = random(c.Cout, seed++);
      const outShape = conv2dOutShape({ xShape, wShape, stride: c.stride, pad: c.pad });
      const residual = random(outShape.reduce((p, d) => p * d, 1), seed++);
      const args = { x, xShape, w, wShape, stride: c.stride, pad: c.pad, bias, residual };
      const fast = ops.conv2d({ ...args, impl });
      expect(allFinite(fast)).toBe(true);
      expect(relErr(fast, conv2dRef(x, xShape, w, wShape, c.stride, c.pad, bias, residual)), describeCase(c)).toBeLessThan(TOL);
      expect(relErr(fast, ops.conv2d({ ...args, impl: 'naive' })), describeCase(c)).toBeLessThan(TOL);
    }
  });

  it('f16 and bf16 weights without bias or residual', () => {
    let seed = 100;
    for (const kind of ['f16', 'bf16'] as const)
      for (const c of CASES.slice(0, 4)) {
        const xShape = [c.B, c.Cin, c.H, c.W] as [number, number, number, number];
        const wShape = [c.Cout, c.Cin, c.k, c.k] as [number, number, number, number];
        const x = random(c.B * c.Cin * c.H * c.W, seed++), w = toHalf(random(c.Cout * c.Cin * c.k * c.k, seed++), kind);
        const fast = ops.conv2d({ x, xShape, w: w.bits, wDtype: kind, wShape, stride: c.stride, pad: c.pad, impl });
        expect(relErr(fast, conv2dRef(x, xShape, w.values, wShape, c.stride, c.pad, null, null)), `${kind} ${describeCase(c)}`)
          .toBeLessThan(TOL);
      }
  });

  it('SD-sized channels on a small image (both packing strategies: 24x24 and 8x8)', () => {
    for (const H of [24, 8]) {
      const Cin = 64, Cout = 70;
      const xShape = [1, Cin, H, H] as [number, number, number, number];
      const wShape = [Cout, Cin, 3, 3] as [number, number, number, number];
      const x = random(Cin * H * H, 7 + H), w = toHalf(random(Cout * Cin * 9, 8 + H, -0.1, 0.1), 'f16'), bias = random(Cout, 9);
      const fast = ops.conv2d({ x, xShape, w: w.bits, wDtype: 'f16', wShape, stride: 1, pad: 1, bias, impl });
      const naive = ops.conv2d({ x, xShape, w: w.bits, wDtype: 'f16', wShape, stride: 1, pad: 1, bias, impl: 'naive' });
      expect(relErr(fast, naive), `H=${H}`).toBeLessThan(TOL);
    }
  });

  it('residual may be the output itself (in-place skip connection)', () => {
    const xShape = [1, 6, 10, 10] as [number, number, number, number], wShape = [6, 6, 3, 3] as [number, number, number, number];
    const x = random(600, 20), w = random(324, 21), y0 = random(600, 22);
    const y = Float32Array.from(y0);
    ops.conv2d({ x, xShape, w, wShape, stride: 1, pad: 1, residual: y, y, impl });
    expect(relErr(y, conv2dRef(x, xShape, w, wShape, 1, 1, null, y0))).toBeLessThan(TOL);
  });
});

describe('conv2d: pre-packed weight', () => {
  it('conv2dPacked equals conv2d on small and large images, 3x3 and 1x1, f16', () => {
    let seed = 900;
    for (const [c, H] of [[CASES[0], 0], [CASES[1], 0], [CASES[3], 0], [{ B: 2, Cin: 24, Cout: 13, H: 0, W: 0, k: 3, stride: 1, pad: 1 }, 30]] as const) {
      const h = H || c.H, wd = H || c.W;
      const xShape = [c.B, c.Cin, h, wd] as [number, number, number, number];
      const wShape = [c.Cout, c.Cin, c.k, c.k] as [number, number, number, number];
      const x = random(c.B * c.Cin * h * wd, seed++), w = toHalf(random(c.Cout * c.Cin * c.k * c.k, seed++), 'f16'), bias = random(c.Cout, seed++);
      const packed = ops.packConv(w.bits, wShape, 'f16');
      const got = ops.conv2dPacked({ x, xShape, wShape, packed, stride: c.stride, pad: c.pad, bias });
      const want = ops.conv2d({ x, xShape, w: w.bits, wDtype: 'f16', wShape, stride: c.stride, pad: c.pad, bias, impl: 'naive' });
      expect(relErr(got, want), describeCase({ ...c, H: h, W: wd })).toBeLessThan(TOL);
    }
  });

  it('rejects a packed weight of another shape', () => {
    const packed = ops.packConv(random(4 * 3 * 9, 1), [4, 3, 3, 3]);
    expect(() => ops.conv2dPacked({ x: random(2 * 25, 2), xShape: [1, 2, 5, 5], wShape: [4, 2, 3, 3], packed, pad: 1 }))
      .toThrow(expect.objectContaining({ code: 'SDN_STATUS_BAD_SHAPE' }));
  });
});

describe('conv2d: large input (async, threaded, pre-packed weight)', () => {
  it('320 -> 40 channels, 3x3 on 32x32, stride 1 (pre-packed weight) and 2 (weight packed per block)', async () => {
    for (const stride of [1, 2]) {
      const xShape = [1, 320, 32, 32] as [number, number, number, number], wShape = [40, 320, 3, 3] as [number, number, number, number];
      const x = random(320 * 1024, 30 + stride), w = toHalf(random(40 * 320 * 9, 31, -0.05, 0.05), 'f16');
      const residual = random(40 * 1024 / stride / stride, 32);
      const fast = await ops.conv2dAsync({ x, xShape, w: w.bits, wDtype: 'f16', wShape, stride, pad: 1, residual });
      const naive = ops.conv2d({ x, xShape, w: w.bits, wDtype: 'f16', wShape, stride, pad: 1, residual, impl: 'naive' });
      expect(relErr(fast, naive), `stride ${stride}`).toBeLessThan(TOL);
    }
  });

  it('walks K in slices when the packed weight would exceed the cap (bias and residual once)', () => {
    const previous = ops.packedCapSet(4096);
    try {
      const xShape = [2, 70, 24, 24] as [number, number, number, number], wShape = [20, 70, 3, 3] as [number, number, number, number];
      const x = random(2 * 70 * 576, 40), w = random(20 * 630, 41, -0.1, 0.1), bias = random(20, 42), residual = random(2 * 20 * 576, 43);
      const fast = ops.conv2d({ x, xShape, w, wShape, stride: 1, pad: 1, bias, residual });
      expect(relErr(fast, conv2dRef(x, xShape, w, wShape, 1, 1, bias, residual))).toBeLessThan(TOL);
    } finally {
      ops.packedCapSet(previous);
    }
  });

  it('rejects a weight whose input channels do not match x', () => {
    expect(() => ops.conv2d({ x: random(2 * 9, 1), xShape: [1, 2, 3, 3], w: random(3 * 27, 2), wShape: [3, 3, 3, 3], pad: 1 }))
      .toThrow(expect.objectContaining({ code: 'SDN_STATUS_BAD_SHAPE' }));
  });
});

// Nearest 2x up-sampling in plain JS (what diffusers' Upsample2D does before its conv).
function upsampleNearestRef(x: Float32Array, [B, C, H, W]: number[], f: number): Float32Array {
  const y = new Float32Array(B * C * H * f * W * f);
  for (let bc = 0; bc < B * C; bc++)
    for (let oy = 0; oy < H * f; oy++)
      for (let ox = 0; ox < W * f; ox++) y[(bc * H * f + oy) * W * f + ox] = x[(bc * H + Math.floor(oy / f)) * W + Math.floor(ox / f)];
  return y;
}

describe.each(FAST_IMPLS)('conv2d %s with a fused nearest up-sampling', (impl) => {
  // Small (weight packed per block) and large (pre-packed weight) images, odd sizes, stride 2, 1x1, f16.
  const cases = [
    { B: 2, Cin: 5, Cout: 7, h: 5, w: 3, k: 3, stride: 1, pad: 1, f: 2 },
    { B: 1, Cin: 3, Cout: 4, h: 7, w: 9, k: 3, stride: 2, pad: 1, f: 2 },
    { B: 1, Cin: 4, Cout: 6, h: 4, w: 5, k: 1, stride: 1, pad: 0, f: 3 },
    { B: 1, Cin: 8, Cout: 9, h: 17, w: 13, k: 3, stride: 1, pad: 1, f: 2 }, // 34 x 26 = 884 outputs: pre-packed path
  ];
  it('equals up-sampling then convolving (plain JS and the naive twin), bias and residual', () => {
    for (const c of cases) {
      const xShape: [number, number, number, number] = [c.B, c.Cin, c.h, c.w];
      const wShape: [number, number, number, number] = [c.Cout, c.Cin, c.k, c.k];
      const x = random(c.B * c.Cin * c.h * c.w, 31);
      const w = toHalf(random(c.Cout * c.Cin * c.k * c.k, 32), 'f16');
      const bias = random(c.Cout, 33);
      const up = upsampleNearestRef(x, xShape, c.f);
      const upShape: [number, number, number, number] = [c.B, c.Cin, c.h * c.f, c.w * c.f];
      const outShape = conv2dOutShape({ xShape: upShape, wShape, stride: c.stride, pad: c.pad });
      expect(conv2dOutShape({ xShape, wShape, stride: c.stride, pad: c.pad, upsample: c.f })).toEqual(outShape);
      const residual = random(outShape.reduce((a, b) => a * b), 34);
      const base = { w: w.bits, wDtype: 'f16' as const, wShape, stride: c.stride, pad: c.pad, bias, residual };
      const fused = ops.conv2d({ ...base, x, xShape, upsample: c.f, impl });
      const label = JSON.stringify(c);
      expect(relErr(fused, conv2dRef(up, upShape, w.values, wShape, c.stride, c.pad, bias, residual)), label).toBeLessThan(TOL);
      expect(relErr(fused, ops.conv2d({ ...base, x: up, xShape: upShape, impl: 'naive' })), label).toBeLessThan(TOL);
      expect(relErr(ops.conv2d({ ...base, x, xShape, upsample: c.f, impl: 'naive' }), ops.conv2d({ ...base, x: up, xShape: upShape, impl: 'naive' })), label).toBe(0);
    }
  });
});
