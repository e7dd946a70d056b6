// Winograd F(4x4, 3x3) (native/src/ops/conv2d_winograd.cc) against the naive twin (direct, double
// accumulation) on awkward sizes, its blocking, its dispatch and its workspace.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { conv2dOutShape, loadModel, native, ops, unetForward, vaeDecode, type ConvAlgoMode } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, i64, readSafetensors } from '../../helpers/safetensors.ts';
import { allFinite, FAST_IMPLS, random, relErr, toHalf } from './helpers.ts';

// F(4x4, 3x3) in f32 loses ~1 digit against a direct sum (the transforms scale by up to 8 and 1/24):
// measured 2e-7 .. 8e-6 of max |y| on these cases and ~1e-5 on SD 1.5-sized layers.
const TOL = 2e-5;

type Shape4 = [number, number, number, number];
type Case = { B: number; Cin: number; Cout: number; H: number; W: number; pad: number; f?: number };

const CASES: Case[] = [
  { B: 1, Cin: 3, Cout: 5, H: 13, W: 9, pad: 1 }, // H, W not multiples of 4
  { B: 2, Cin: 7, Cout: 17, H: 5, W: 6, pad: 1 }, // batch 2, odd Cin/Cout
  { B: 1, Cin: 2, Cout: 3, H: 1, W: 1, pad: 1 }, // 1x1 image
  { B: 1, Cin: 4, Cout: 3, H: 1, W: 11, pad: 1 }, // 1xN
  { B: 2, Cin: 4, Cout: 5, H: 11, W: 1, pad: 1 }, // Nx1
  { B: 1, Cin: 33, Cout: 19, H: 10, W: 10, pad: 0 }, // no padding
  { B: 2, Cin: 9, Cout: 8, H: 7, W: 5, pad: 2 }, // padding 2
  { B: 1, Cin: 5, Cout: 6, H: 9, W: 70, pad: 1 }, // 18 tiles per row: panels of 16 side by side, and across rows
  { B: 2, Cin: 6, Cout: 7, H: 6, W: 136, pad: 1 }, // interior panels (the strided gather/scatter), two images
  { B: 1, Cin: 5, Cout: 4, H: 10, W: 64, pad: 1 }, // one tile row per panel: left and right padding in the strip
  { B: 2, Cin: 3, Cout: 4, H: 7, W: 62, pad: 1 }, // the last tile of each row sticks out
  { B: 1, Cin: 300, Cout: 20, H: 9, W: 9, pad: 1 }, // Cin > 256: several K blocks
  { B: 2, Cin: 5, Cout: 7, H: 5, W: 3, pad: 1, f: 2 }, // through a 2x up-sampling, odd stored size
  { B: 1, Cin: 6, Cout: 5, H: 9, W: 35, pad: 1, f: 2 }, // up-sampled to 18 x 70
  { B: 1, Cin: 3, Cout: 4, H: 4, W: 5, pad: 1, f: 3 }, // 3x up-sampling
  { B: 2, Cin: 4, Cout: 3, H: 3, W: 32, pad: 1, f: 2 }, // up-sampled to 6 x 64: strips through the up-sampling
];

const label = (c: Case) => `B${c.B} ${c.Cin}->${c.Cout} ${c.H}x${c.W} pad${c.pad} up${c.f ?? 1}`;
const shapes = (c: Case) => ({ xShape: [c.B, c.Cin, c.H, c.W] as Shape4, wShape: [c.Cout, c.Cin, 3, 3] as Shape4 });

function withAlgo<T>(mode: ConvAlgoMode, fn: () => T): T {
  const previous = ops.convAlgoSet(mode);
  try {
    return fn();
  } finally {
    ops.convAlgoSet(previous);
  }
}

describe.each(FAST_IMPLS)('conv2d winograd (%s)', (impl) => {
  beforeEach(() => ops.convAlgoSet('winograd'));
  afterEach(() => ops.convAlgoSet('auto'));

  it('matches the naive twin: f32 weights, bias, residual, up-sampling', () => {
    let seed = 1;
    for (const c of CASES) {
      const { xShape, wShape } = shapes(c);
      expect(ops.convPlan({ xShape, wShape, pad: c.pad, upsample: c.f }).algo, label(c)).toBe('winograd');
      const x = random(c.B * c.Cin * c.H * c.W, seed++), w = random(c.Cout * c.Cin * 9, seed++), bias = random(c.Cout, seed++);
      const outShape = conv2dOutShape({ xShape, wShape, pad: c.pad, upsample: c.f });
      const residual = random(outShape.reduce((a, b) => a * b), seed++);
      const args = { x, xShape, w, wShape, pad: c.pad, bias, residual, upsample: c.f };
      const fast = ops.conv2d({ ...args, impl });
      expect(allFinite(fast)).toBe(true);
      expect(relErr(fast, ops.conv2d({ ...args, impl: 'naive' })), label(c)).toBeLessThan(TOL);
    }
  });

  it('f16 and bf16 weights, no bias, no residual', () => {
    let seed = 100;
    for (const kind of ['f16', 'bf16'] as const)
      for (const c of [CASES[0], CASES[1], CASES[8], CASES[9], CASES[13]]) {
        const { xShape, wShape } = shapes(c);
        const x = random(c.B * c.Cin * c.H * c.W, seed++), w = toHalf(random(c.Cout * c.Cin * 9, seed++), kind);
        const args = { x, xShape, w: w.bits, wDtype: kind, wShape, pad: c.pad, upsample: c.f };
        expect(relErr(ops.conv2d({ ...args, impl }), ops.conv2d({ ...args, impl: 'naive' })), `${kind} ${label(c)}`).toBeLessThan(TOL);
      }
  });

  it('residual may be the output itself', () => {
    const c = CASES[8];
    const { xShape, wShape } = shapes(c);
    const x = random(c.B * c.Cin * c.H * c.W, 50), w = random(c.Cout * c.Cin * 9, 51), bias = random(c.Cout, 52);
    const y0 = random(c.B * c.Cout * c.H * c.W, 53);
    const y = Float32Array.from(y0);
    ops.conv2d({ x, xShape, w, wShape, pad: 1, bias, residual: y, y, impl });
    expect(relErr(y, ops.conv2d({ x, xShape, w, wShape, pad: 1, bias, residual: y0, impl: 'naive' }))).toBeLessThan(TOL);
  });

  // caps [1, 1, 1]: blocks of 6 output channels x chunks of 16 tiles (V recomputed per block);
  // [1, 2^20, 2^20]: all tiles in one chunk whose V serves every 6-channel block.
  it.each([[1, 1, 1], [1, 1 << 20, 1 << 20]])('walks output-channel blocks and tile chunks under caps %j (bias and residual once)', (...caps) => {
    const previous = ops.winogradCapsSet(caps[0], caps[1], caps[2]);
    try {
      for (const c of [{ B: 2, Cin: 20, Cout: 26, H: 13, W: 37, pad: 1 }, { B: 1, Cin: 11, Cout: 7, H: 9, W: 70, pad: 1, f: 2 }] as Case[]) {
        const { xShape, wShape } = shapes(c);
        const x = random(c.B * c.Cin * c.H * c.W, 60), w = random(c.Cout * c.Cin * 9, 61), bias = random(c.Cout, 62);
        const outShape = conv2dOutShape({ xShape, wShape, pad: c.pad, upsample: c.f });
        const y0 = random(outShape.reduce((a, b) => a * b), 63);
        const y = Float32Array.from(y0);
        ops.conv2d({ x, xShape, w, wShape, pad: c.pad, bias, residual: y, y, upsample: c.f, impl });
        const want = ops.conv2d({ x, xShape, w, wShape, pad: c.pad, bias, residual: y0, upsample: c.f, impl: 'naive' });
        expect(relErr(y, want), label(c)).toBeLessThan(TOL);
      }
    } finally {
      ops.winogradCapsSet(...previous);
    }
  });
});

describe('conv2d winograd: SD 1.5-sized layers', () => {
  it('256 -> 256 channels, 16x16, f16 weights of SD scale: within 2e-5 of the naive twin', () => {
    const xShape: Shape4 = [1, 256, 16, 16], wShape: Shape4 = [256, 256, 3, 3];
    const x = random(256 * 256, 70), w = toHalf(random(256 * 256 * 9, 71, -0.03, 0.03), 'f16'), bias = random(256, 72, -0.1, 0.1);
    const args = { x, xShape, w: w.bits, wDtype: 'f16' as const, wShape, pad: 1, bias };
    const fast = withAlgo('winograd', () => ops.conv2d(args));
    expect(relErr(fast, ops.conv2d({ ...args, impl: 'naive' }))).toBeLessThan(TOL);
  });

  it('2 x 320 channels on 64x64 (the UNet first level, picked by auto): within 2e-5 of the direct convolution', async () => {
    const xShape: Shape4 = [2, 320, 64, 64], wShape: Shape4 = [320, 320, 3, 3];
    expect(ops.convPlan({ xShape, wShape, pad: 1 }).algo).toBe('winograd');
    const x = random(2 * 320 * 4096, 80), w = random(320 * 320 * 9, 81, -0.03, 0.03), residual = random(2 * 320 * 4096, 82);
    const args = { x, xShape, w, wShape, pad: 1, residual };
    const wino = await ops.conv2dAsync(args);
    const direct = await withAlgo('direct', () => ops.conv2dAsync(args));
    expect(relErr(wino, direct)).toBeLessThan(TOL);
  });
});

describe('conv2d winograd in the models: the fixtures with Winograd wherever it applies (f32 weights)', () => {
  // Measured: UNet 5.9e-6 (8x8) and 3.0e-6 (16x12), VAE decode 4.9e-6 x max|ref| (direct: ~1.4e-6).
  it('UNet noise_pred and VAE decode within 1e-4 x max|ref| of diffusers', async () => {
    const model = await loadModel('test/fixtures/tiny-sd', { weights: 'f32' });
    const previous = ops.convAlgoSet('winograd');
    try {
      const unet = readSafetensors('test/fixtures/expected/unet.safetensors');
      const timesteps = Float32Array.from(i64(unet, 'timesteps'), (v) => Number(v));
      for (const [tag, shape] of [['8x8', [2, 4, 8, 8]], ['16x12', [2, 4, 16, 12]]] as const) {
        const out = await unetForward(model, f32(unet, `sample_${tag}`), shape, timesteps, f32(unet, 'encoder_hidden_states'));
        expect(relativeMaxError(out, f32(unet, `noise_pred_${tag}`)), tag).toBeLessThanOrEqual(1e-4);
      }
      const vae = readSafetensors('test/fixtures/expected/vae.safetensors');
      const decoded = await vaeDecode(model, f32(vae, 'latent'), [1, 4, 8, 8]);
      expect(relativeMaxError(decoded, f32(vae, 'decoded'))).toBeLessThanOrEqual(1e-4);
    } finally {
      ops.convAlgoSet(previous);
      model.dispose();
    }
  });
});

describe('conv2d: the direct-or-Winograd decision and its workspace', () => {
  const plan = (xShape: Shape4, wShape: Shape4, stride = 1, pad = 1, upsample = 1) => ops.convPlan({ xShape, wShape, stride, pad, upsample });

  it('auto: Winograd for SD-sized 3x3 stride-1 layers, direct for small ones, strided, 1x1 and few channels', () => {
    expect(plan([2, 320, 64, 64], [320, 320, 3, 3]).algo).toBe('winograd');
    expect(plan([2, 640, 32, 32], [640, 640, 3, 3]).algo).toBe('winograd');
    expect(plan([2, 1280, 16, 16], [1280, 1280, 3, 3]).algo).toBe('winograd');
    expect(plan([1, 512, 128, 128], [512, 512, 3, 3], 1, 1, 2).algo).toBe('winograd'); // VAE up-sampler conv
    expect(plan([2, 1280, 8, 8], [1280, 1280, 3, 3]).algo).toBe('direct'); // 8 tiles
    expect(plan([2, 320, 64, 64], [320, 320, 3, 3], 2).algo).toBe('direct'); // stride 2
    expect(plan([2, 320, 64, 64], [640, 320, 1, 1], 1, 0).algo).toBe('direct'); // 1x1
    expect(plan([2, 4, 64, 64], [320, 4, 3, 3]).algo).toBe('direct'); // conv_in: 4 input channels
    expect(plan([1, 128, 512, 512], [3, 128, 3, 3]).algo).toBe('direct'); // conv_out: 3 output channels
  });

  it('the override: direct everywhere, Winograd wherever it applies', () => {
    withAlgo('direct', () => expect(plan([2, 320, 64, 64], [320, 320, 3, 3]).algo).toBe('direct'));
    withAlgo('winograd', () => {
      expect(plan([2, 1280, 8, 8], [1280, 1280, 3, 3]).algo).toBe('winograd');
      expect(plan([1, 2, 1, 1], [3, 2, 3, 3]).algo).toBe('winograd');
      expect(plan([1, 8, 16, 16], [8, 8, 3, 3], 2).algo).toBe('direct'); // stride 2: not supported
      expect(plan([1, 8, 16, 16], [8, 8, 1, 1], 1, 0).algo).toBe('direct');
      expect(plan([1, 8, 16, 16], [8, 8, 5, 5], 1, 2).algo).toBe('direct');
    });
    expect(() => ops.convAlgoSet('fastest' as ConvAlgoMode)).toThrow(expect.objectContaining({ code: 'SDN_STATUS_BAD_ARGUMENT' }));
  });

  it('workspace: tens of MiB at most on SD 1.5 layers, and exactly what one call holds in the arena', () => {
    for (const [xShape, wShape, up] of [
      [[2, 320, 64, 64], [320, 320, 3, 3], 1], [[2, 640, 32, 32], [640, 640, 3, 3], 1], [[2, 1280, 16, 16], [1280, 1280, 3, 3], 1],
      [[1, 512, 64, 64], [512, 512, 3, 3], 1], [[1, 512, 128, 128], [512, 512, 3, 3], 2], [[1, 256, 256, 256], [256, 256, 3, 3], 2],
      [[1, 128, 512, 512], [128, 128, 3, 3], 1],
    ] as [Shape4, Shape4, number][]) {
      const p = plan(xShape, wShape, 1, 1, up);
      expect(p.algo).toBe('winograd');
      expect(p.workspaceBytes, JSON.stringify(xShape)).toBeGreaterThan(0);
      expect(p.workspaceBytes, JSON.stringify(xShape)).toBeLessThanOrEqual(36 * 2 ** 20);
    }
    const xShape: Shape4 = [2, 40, 30, 26], wShape: Shape4 = [36, 40, 3, 3];
    const p = plan(xShape, wShape);
    expect(p.algo).toBe('winograd');
    const x = random(2 * 40 * 30 * 26, 90), w = random(36 * 40 * 9, 91);
    native.memoryPeakReset();
    const before = native.memoryStats().activationsCurrent;
    ops.conv2d({ x, xShape, w, wShape, pad: 1 });
    expect(native.memoryStats().activationsPeak - before).toBe(p.workspaceBytes);
    expect(native.memoryStats().activationsCurrent).toBe(before);
  });
});
