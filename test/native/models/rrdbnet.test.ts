// RRDBNet upscale models (native/src/models/rrdbnet) against the PyTorch reference of
// scripts/reference/make_rrdbnet.py on random weights (test/fixtures/rrdbnet: both key layouts, x2 and x4,
// Real-ESRGAN's pixel-unshuffled x2), tiles against one piece, the memory estimate against the arena's
// measured peak (byte for byte), progress and cancellation, the other layouts' names, and other architectures.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CancelToken, estimateUpscalerMemory, isNativeError, loadUpscaler, native, upscalerRun, type UpscalerHandle } from '../../../native/index.ts';
import { maxAbs, maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

const dir = 'test/fixtures/rrdbnet';
const reference = readSafetensors(path.join(dir, 'reference.safetensors'));
const image = f32(reference, 'image'); // [1, 3, 13, 10]

const models = [
  { name: 'new_x4', layout: 'new', scale: 4, numBlocks: 2, shuffle: 1 },
  { name: 'new_x2', layout: 'new', scale: 2, numBlocks: 1, shuffle: 2 },
  { name: 'old_x2', layout: 'old', scale: 2, numBlocks: 2, shuffle: 1 },
  { name: 'old_x4', layout: 'old', scale: 4, numBlocks: 1, shuffle: 1 },
] as const;

/** A deterministic picture in [0, 1], [B, 3, H, W]. */
function picture(B: number, H: number, W: number): Float32Array {
  return new Float32Array(B * 3 * H * W).map((_, i) => 0.5 + 0.45 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
}

describe.each(models)('$name ($layout layout, x$scale)', ({ name, layout, scale, numBlocks, shuffle }) => {
  let up: UpscalerHandle;
  beforeAll(async () => {
    up = await loadUpscaler(path.join(dir, `${name}.safetensors`));
  });
  afterAll(() => up.dispose());

  it('reads its shape from the weights', () => {
    expect(up.info).toMatchObject({ architecture: 'RRDBNet', layout, scale, numBlocks, shuffle, numFeat: 8, numGrow: 4, tileMultiple: shuffle });
    expect(up.info.halo).toBe(shuffle * (15 * numBlocks + 4));
  });

  it(`upscales [1, 3, 13, 10] to [1, 3, ${13 * scale}, ${10 * scale}] within 1e-4 x max|ref| of PyTorch`, async () => {
    const out = await upscalerRun(up, image, [1, 3, 13, 10]);
    const ref = f32(reference, name);
    expect(out.length).toBe(3 * 13 * scale * 10 * scale);
    const err = relativeMaxError(out, ref);
    console.log(`RRDBNet ${name}: max abs error = ${err.toExponential(2)} x max|ref| (${maxAbs(ref).toFixed(2)})`);
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  it('f16 weights stay within 1e-2 x max|ref|', async () => {
    const half = await loadUpscaler(path.join(dir, `${name}.safetensors`), { weights: 'f16' });
    expect(relativeMaxError(await upscalerRun(half, image, [1, 3, 13, 10]), f32(reference, name))).toBeLessThanOrEqual(1e-2);
    half.dispose();
  });
});

describe('tiles', () => {
  // Each tile runs with a margin of `halo` real pixels, the receptive field's radius, so every output pixel
  // sees the same inputs as in one piece: what differs is only float rounding, since the convolutions'
  // algorithm (Winograd or implicit GEMM) and blocking depend on the tile's size. Measured: exactly 0 on the
  // fixtures (their narrow convolutions take the implicit GEMM, whose per-pixel sums do not depend on where a tile
  // starts) and 7.9e-7 x max|whole| on the shipped model, whose 32-channel convolutions take Winograd F(4x4, 3x3)
  // on large maps: its 4x4 output blocks are laid from each tile's origin, so the rounding of the transforms (a few
  // float32 epsilons, 1.2e-7, per convolution) differs. Bound 1e-5: over ten times that, far below any visible change.
  it.each([
    { name: 'new_x2', tile: 24, B: 1, H: 100, W: 84 },
    { name: 'old_x4', tile: 16, B: 2, H: 70, W: 45 },
    { name: 'new_x2', tile: 10, B: 1, H: 61, W: 97 },
  ])('$name in tiles of $tile, batch $B, $H x $W pixels: equals one piece within 1e-5 x max|ref|, progress per tile', async ({ name, tile, B, H, W }) => {
    const up = await loadUpscaler(path.join(dir, `${name}.safetensors`));
    const x = picture(B, H, W);
    const whole = await upscalerRun(up, x, [B, 3, H, W]);
    const calls: [number, number][] = [];
    const tiled = await upscalerRun(up, x, [B, 3, H, W], { tile, onProgress: (done, total) => calls.push([done, total]) });
    await new Promise((resolve) => setTimeout(resolve, 20)); // progress is queued to the JS thread
    const tiles = B * Math.ceil(H / tile) * Math.ceil(W / tile);
    expect(calls.length).toBe(tiles);
    expect(calls.at(-1)).toEqual([tiles, tiles]);
    const err = maxAbsDiff(tiled, whole) / maxAbs(whole);
    console.log(`RRDBNet ${name} tiles of ${tile}: ${tiles} tiles, max |tiled - whole| = ${err.toExponential(2)} x max|whole|`);
    expect(err).toBeLessThanOrEqual(1e-5);
    up.dispose();
  });

  it('the shipped model (32-channel convolutions, which take Winograd on large maps) in tiles of 64 on 160 x 128 equals one piece within 1e-5', async () => {
    const up = await loadUpscaler('models/upscale_models/shapes-esrgan-2x.safetensors');
    const x = picture(1, 160, 128);
    const whole = await upscalerRun(up, x, [1, 3, 160, 128]);
    const tiled = await upscalerRun(up, x, [1, 3, 160, 128], { tile: 64 });
    const err = maxAbsDiff(tiled, whole) / maxAbs(whole);
    console.log(`shapes-esrgan-2x tiles of 64: max |tiled - whole| = ${err.toExponential(2)} x max|whole|`);
    expect(err).toBeLessThanOrEqual(1e-5);
    up.dispose();
  });

  it('a margin narrower than the receptive field needs less memory and changes the picture only near tile borders', async () => {
    const up = await loadUpscaler(path.join(dir, 'old_x4.safetensors')); // halo 19
    const x = picture(1, 96, 96);
    const whole = await upscalerRun(up, x, [1, 3, 96, 96]);
    const narrow = await upscalerRun(up, x, [1, 3, 96, 96], { tile: 48, margin: 4 });
    expect(estimateUpscalerMemory(up, { batch: 1, height: 96, width: 96, tile: 48, margin: 4 }).peakBytes).toBeLessThan(
      estimateUpscalerMemory(up, { batch: 1, height: 96, width: 96, tile: 48 }).peakBytes,
    );
    // output pixels (x4) farther than the field's 19 input pixels from the tile border at 48 are still exact
    let far = 0, near = 0;
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 384; y++)
        for (let xx = 0; xx < 384; xx++) {
          const i = (c * 384 + y) * 384 + xx;
          const d = Math.abs(narrow[i] - whole[i]);
          const fromBorder = Math.min(Math.abs(y / 4 - 48), Math.abs(xx / 4 - 48));
          if (fromBorder > 20) far = Math.max(far, d);
          else near = Math.max(near, d);
        }
    expect(far / maxAbs(whole)).toBeLessThanOrEqual(1e-5);
    expect(near / maxAbs(whole)).toBeGreaterThan(1e-4);
    up.dispose();
  });

  it('refuses a tile that is not a multiple of the pixel-unshuffle factor', async () => {
    const up = await loadUpscaler(path.join(dir, 'new_x2.safetensors'));
    await expect(upscalerRun(up, picture(1, 40, 40), [1, 3, 40, 40], { tile: 15 })).rejects.toThrow(/tile 15 must be a multiple of 2 pixels/);
    up.dispose();
  });
});

describe('memory and control', () => {
  let up: UpscalerHandle;
  beforeAll(async () => {
    up = await loadUpscaler(path.join(dir, 'new_x2.safetensors'));
  });
  afterAll(() => up.dispose());

  async function peakOf(run: () => Promise<unknown>) {
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await run();
    return native.memoryStats().activationsPeak - base;
  }

  it.each([
    [1, 13, 10, 0],
    [2, 90, 70, 0],
    [2, 90, 70, 24],
  ])('batch %i, %ix%i, tile %i: the estimate equals the measured arena peak', async (B, H, W, tile) => {
    const estimate = estimateUpscalerMemory(up, { batch: B, height: H, width: W, tile });
    expect(estimate.peakBytes).toBe(await peakOf(() => upscalerRun(up, picture(B, H, W), [B, 3, H, W], { tile })));
  });

  it('smaller tiles need less memory on a large picture', () => {
    const whole = estimateUpscalerMemory(up, { batch: 1, height: 400, width: 400, tile: 0 });
    const tiled = estimateUpscalerMemory(up, { batch: 1, height: 400, width: 400, tile: 64 });
    expect(tiled.peakBytes).toBeLessThan(whole.peakBytes / 2);
  });

  it('refuses a run over the memory limit before allocating, naming the estimate', async () => {
    const estimate = estimateUpscalerMemory(up, { batch: 1, height: 13, width: 10, tile: 0 });
    const error = await upscalerRun(up, image, [1, 3, 13, 10], { memoryLimitBytes: estimate.peakBytes - 1 }).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^upscale: a 13x10 image, batch 1, needs ~/);
  });

  it('stops when cancelled', async () => {
    const cancel = new CancelToken();
    cancel.cancel();
    const error = await upscalerRun(up, image, [1, 3, 13, 10], { cancel }).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_CANCELLED');
  });
});

describe('files', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'rrdbnet-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function rewrite(from: string, rename: (key: string) => string): string {
    const source = readSafetensors(path.join(dir, `${from}.safetensors`));
    const file = path.join(tmp, `${from}-${Math.random().toString(36).slice(2)}.safetensors`);
    writeSafetensors(file, new Map([...source.keys()].map((k) => [rename(k), { shape: [...source.get(k)!.shape], data: f32(source, k) }])));
    return file;
  }

  it("reads BSRGAN's names (RRDB_trunk, trunk_conv, upconvK, HRconv) and a params_ema. prefix as the new layout", async () => {
    const bsrgan = (k: string) =>
      'params_ema.' +
      k
        .replace(/^body\.(\d+)\.rdb(\d)\./, 'RRDB_trunk.$1.RDB$2.')
        .replace(/^conv_body\./, 'trunk_conv.')
        .replace(/^conv_up(\d)\./, 'upconv$1.')
        .replace(/^conv_hr\./, 'HRconv.');
    const up = await loadUpscaler(rewrite('new_x4', bsrgan));
    expect(up.info.layout).toBe('bsrgan');
    expect(relativeMaxError(await upscalerRun(up, image, [1, 3, 13, 10]), f32(reference, 'new_x4'))).toBeLessThanOrEqual(1e-4);
    up.dispose();
  });

  it.each([
    ['SwinIR', ['conv_first.weight', 'layers.0.residual_group.blocks.0.norm1.weight', 'layers.0.residual_group.blocks.0.attn.relative_position_bias_table']],
    ['HAT', ['conv_first.weight', 'layers.0.residual_group.blocks.0.conv_block.cab.0.weight']],
    ['SPAN', ['conv_1.sk.weight', 'block_1.c1_r.sk.weight']],
    ['SRVGGNetCompact', ['body.0.weight', 'body.1.weight']],
  ])('refuses %s, saying what its keys look like', async (arch, keys) => {
    const file = path.join(tmp, `${arch}.safetensors`);
    writeSafetensors(file, new Map(keys.map((k) => [k, { shape: [4], data: new Float32Array(4) }])));
    const error = await loadUpscaler(file).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_BAD_FORMAT');
    expect((error as Error).message).toMatch(new RegExp(`not an ESRGAN / Real-ESRGAN upscale model \\(RRDBNet\\): its tensors \\(.*\\) look like ${arch}`));
  });

  it('refuses ESRGAN+ (1x1 convolutions in the dense blocks), naming it', async () => {
    const source = readSafetensors(path.join(dir, 'old_x2.safetensors'));
    const file = path.join(tmp, 'plus.safetensors');
    const tensors = new Map([...source.keys()].map((k) => [k, { shape: [...source.get(k)!.shape], data: f32(source, k) }]));
    tensors.set('model.1.sub.0.RDB1.conv1x1.weight', { shape: [4, 8, 1, 1], data: new Float32Array(32) });
    writeSafetensors(file, tensors);
    await expect(loadUpscaler(file)).rejects.toThrow(/ESRGAN\+/);
  });

  it('refuses more than 3 up-samplings (x16), naming them', async () => {
    const source = readSafetensors(path.join(dir, 'new_x4.safetensors'));
    const tensors = new Map([...source.keys()].map((k) => [k, { shape: [...source.get(k)!.shape], data: f32(source, k) }]));
    for (const k of [3, 4]) {
      tensors.set(`conv_up${k}.weight`, { shape: [8, 8, 3, 3], data: new Float32Array(576) });
      tensors.set(`conv_up${k}.bias`, { shape: [8], data: new Float32Array(8) });
    }
    const file = path.join(tmp, 'x16.safetensors');
    writeSafetensors(file, tensors);
    await expect(loadUpscaler(file)).rejects.toThrow(/4 up-sampling convolutions .* up to 8x/);
  });

  it('refuses a damaged model, naming the tensor', async () => {
    const file = rewrite('old_x4', (k) => (k === 'model.1.sub.0.RDB2.conv3.0.weight' ? 'something.else' : k));
    const error = await loadUpscaler(file).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_MISSING_TENSOR');
    expect((error as Error).message).toMatch(/body\.0\.rdb2\.conv3\.weight/);
  });
});
