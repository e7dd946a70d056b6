// The tiled VAE decode with image-wide normalisation (native/src/models/vae/vae_tiled.cc) against the
// plain decode: equal up to float rounding for every tile size; its memory estimate
// (vae_tiled_memory.cc) against the measured arena peak; refusal, cancellation and progress.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CancelToken,
  estimateVaeDecodeMemory,
  estimateVaeDecodeTiledMemory,
  isNativeError,
  loadModel,
  native,
  vaeDecode,
  vaeDecodeTiled,
  type ModelHandle,
  vaeScaleFactor,
} from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { writeSafetensors } from '../../helpers/safetensors.ts';
import { SD15_VAE } from '../../helpers/sd15-configs.ts';

/** A smooth, latent-like input with a per-channel offset (group statistics far from 0 / 1). */
function latentOf(B: number, h: number, w: number): Float32Array {
  const z = new Float32Array(B * 4 * h * w);
  for (let i = 0; i < z.length; i++) {
    const c = Math.floor(i / (h * w)) % 4;
    z[i] = Math.sin(i * 0.37) * 1.5 + Math.cos(i * 0.011) + 0.3 * c;
  }
  return z;
}

const BOUND = 1e-5; // max |tiled - plain| <= BOUND x max |plain|

describe.each([
  { path: 'test/fixtures/tiny-sd', weights: 'f32' as const },
  { path: 'test/fixtures/tiny-sd', weights: 'f16' as const },
  { path: 'models/diffusers/shapes-sd', weights: 'f32' as const },
  { path: 'models/checkpoints/shapes-sd.safetensors', weights: 'f16' as const },
])('tiled VAE decode, $path ($weights weights)', ({ path, weights }) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(path, { weights });
  });
  afterAll(() => model.dispose());

  it.each([
    // [batch, h, w, tile, attention]
    [1, 6, 6, 1, 'naive'],
    [2, 7, 5, 3, 'flash'],
    [1, 9, 11, 4, 'naive'], // non-dividing, non-square
    [2, 8, 8, 5, 'naive'],
    [1, 5, 7, 64, 'flash'], // one tile larger than the image
  ] as const)('batch %i, %ix%i latent, tile %i, %s attention: equals the plain decode', async (B, h, w, tile, attention) => {
    const latent = latentOf(B, h, w);
    const plain = await vaeDecode(model, latent, [B, 4, h, w], { attention });
    const tiled = await vaeDecodeTiled(model, latent, [B, 4, h, w], { tile, attention });
    expect(tiled.length).toBe(plain.length);
    const err = relativeMaxError(tiled, plain);
    console.log(`${path} (${weights}), batch ${B}, ${h}x${w}, tile ${tile}, ${attention}: max |tiled - plain| = ${err.toExponential(2)} x max|plain|`);
    expect(err, `max |diff| = ${err.toExponential(2)} x max|plain|`).toBeLessThanOrEqual(BOUND);
  });
});

/**
 * A copy of the tiny fixture whose VAE decoder is synthetic (random weights the test writes): two blocks,
 * channels growing on the way up (32 -> 64: a resnet whose output does not fit in its input's buffer),
 * 8 groups, three resnets per block.
 */
function growingVae(dir: string): string {
  const target = path.join(dir, 'growing-vae');
  cpSync('test/fixtures/tiny-sd', target, { recursive: true, filter: (src) => !src.endsWith('.fp16.safetensors') && !src.endsWith('tiny-sd.safetensors') });
  const configFile = path.join(target, 'vae/config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  Object.assign(config, { block_out_channels: [64, 32], layers_per_block: 2, norm_num_groups: 8 });
  writeFileSync(configFile, JSON.stringify({ ...config, down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D'], up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D'] }));
  let seed = 5;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, shape: number[], scale: number, offset = 0) =>
    tensors.set(name, { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => offset + scale * rand()) });
  const conv = (p: string, cin: number, cout: number, k: number) => {
    add(`${p}.weight`, [cout, cin, k, k], 1 / Math.sqrt(cin * k * k));
    add(`${p}.bias`, [cout], 0.1);
  };
  const norm = (p: string, c: number) => {
    add(`${p}.weight`, [c], 0.2, 1);
    add(`${p}.bias`, [c], 0.2);
  };
  const resnet = (p: string, cin: number, cout: number) => {
    norm(`${p}.norm1`, cin);
    conv(`${p}.conv1`, cin, cout, 3);
    norm(`${p}.norm2`, cout);
    conv(`${p}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${p}.conv_shortcut`, cin, cout, 1);
  };
  conv('post_quant_conv', 4, 4, 1);
  conv('decoder.conv_in', 4, 32, 3);
  resnet('decoder.mid_block.resnets.0', 32, 32);
  norm('decoder.mid_block.attentions.0.group_norm', 32);
  for (const l of ['to_q', 'to_k', 'to_v', 'to_out.0']) {
    add(`decoder.mid_block.attentions.0.${l}.weight`, [32, 32], 1 / Math.sqrt(32));
    add(`decoder.mid_block.attentions.0.${l}.bias`, [32], 0.1);
  }
  resnet('decoder.mid_block.resnets.1', 32, 32);
  for (let j = 0; j < 3; j++) resnet(`decoder.up_blocks.0.resnets.${j}`, 32, 32);
  conv('decoder.up_blocks.0.upsamplers.0.conv', 32, 32, 3);
  for (let j = 0; j < 3; j++) resnet(`decoder.up_blocks.1.resnets.${j}`, j === 0 ? 32 : 64, 64);
  norm('decoder.conv_norm_out', 64);
  conv('decoder.conv_out', 64, 3, 3);
  writeSafetensors(path.join(target, 'vae/diffusion_pytorch_model.safetensors'), tensors);
  return target;
}

describe('tiled VAE decode, a synthetic decoder whose channels grow on the way up', () => {
  let dir: string;
  let model: ModelHandle;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'latentflow-vae-tiled-'));
    model = await loadModel(growingVae(dir));
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [2, 9, 7, 2],
    [1, 6, 6, 4],
  ])('batch %i, %ix%i latent, tile %i: equals the plain decode; the estimate equals the measured peak', async (B, h, w, tile) => {
    expect(vaeScaleFactor(model.info.vae)).toBe(2);
    const latent = latentOf(B, h, w);
    const plain = await vaeDecode(model, latent, [B, 4, h, w]);
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    const tiled = await vaeDecodeTiled(model, latent, [B, 4, h, w], { tile });
    const measured = native.memoryStats().activationsPeak - base;
    expect(relativeMaxError(tiled, plain)).toBeLessThanOrEqual(BOUND);
    expect(estimateVaeDecodeTiledMemory(model, { batch: B, latentHeight: h, latentWidth: w, attention: 'naive', tile }).peakBytes).toBe(measured);
  });
});

describe('tiled VAE decode: memory, refusal, cancellation, progress (demo model)', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel('models/diffusers/shapes-sd');
  });
  afterAll(() => model.dispose());

  async function measuredPeak(run: () => Promise<unknown>) {
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await run();
    return native.memoryStats().activationsPeak - base;
  }

  it.each([
    [1, 16, 16, 4],
    [2, 9, 5, 3],
    [1, 12, 12, 64],
    [1, 8, 8, 1],
  ])('batch %i, %ix%i latent, tile %i: the estimate equals the measured arena peak', async (B, h, w, tile) => {
    for (const attention of ['naive', 'flash'] as const) {
      const latent = latentOf(B, h, w);
      const estimate = estimateVaeDecodeTiledMemory(model, { batch: B, latentHeight: h, latentWidth: w, attention, tile });
      const measured = await measuredPeak(() => vaeDecodeTiled(model, latent, [B, 4, h, w], { tile, attention }));
      expect(estimate.peakBytes, `${attention}, at ${estimate.breakdown.at}`).toBe(measured);
    }
  });

  it('needs less memory than the plain decode, and refuses over the limit before allocating', async () => {
    const query = { batch: 1, latentHeight: 16, latentWidth: 16, attention: 'naive' as const };
    const tiled = estimateVaeDecodeTiledMemory(model, { ...query, tile: 4 });
    expect(tiled.peakBytes).toBeLessThan(estimateVaeDecodeMemory(model, query).peakBytes);
    const error = await vaeDecodeTiled(model, latentOf(1, 16, 16), [1, 4, 16, 16], { tile: 4, memoryLimitBytes: tiled.peakBytes - 1 }).catch(
      (e: unknown) => e,
    );
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^VAE tiled decode: naive attention at a 16x16 latent, batch 1, tiles of 4 latent cells, needs ~/);
  });

  it('reports progress per tile of every segment, increasing, ending at (total, total), nothing after', async () => {
    const calls: [number, number][] = [];
    await vaeDecodeTiled(model, latentOf(1, 6, 4), [1, 4, 6, 4], { tile: 3, onProgress: (done, total) => calls.push([done, total]) });
    const seen = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 20)); // late engine calls are dropped
    expect(calls.length).toBe(seen);
    // shapes-sd: 4 up blocks x (2 resnets x 2 convolutions) + 3 up-samplers + the output = 20 segments; 2 x 2 tiles each.
    const total = 20 * 4;
    expect(calls.at(-1)).toEqual([total, total]);
    expect(calls.length).toBeGreaterThan(total / 2);
    for (let i = 1; i < calls.length; i++) expect(calls[i][0]).toBeGreaterThan(calls[i - 1][0]);
    expect(calls.every(([, t]) => t === total)).toBe(true);
  });

  it('stops between tiles when cancelled', async () => {
    const cancel = new CancelToken();
    let seen = 0;
    const run = vaeDecodeTiled(model, latentOf(1, 8, 8), [1, 4, 8, 8], {
      tile: 1,
      cancel,
      onProgress: (done) => {
        seen = done;
        cancel.cancel();
      },
    });
    const error = await run.catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_CANCELLED');
    expect(seen).toBeLessThan(20 * 64);
  });

  it('rejects a tile below 1', async () => {
    await expect(vaeDecodeTiled(model, latentOf(1, 4, 4), [1, 4, 4, 4], { tile: 0 })).rejects.toThrow(/tile/);
  });
});

describe('tiled VAE decode memory, SD 1.5 shapes (no run)', () => {
  it.each([64, 128])('%i-cell latent: 256-pixel tiles need less than the plain decode, smaller tiles less still', (size) => {
    const query = { batch: 1, latentHeight: size, latentWidth: size, attention: 'flash' as const };
    const plain = estimateVaeDecodeMemory(SD15_VAE, query).peakBytes;
    const tiled = (tile: number) => estimateVaeDecodeTiledMemory(SD15_VAE, { ...query, tile }).peakBytes;
    // normalization 'tile' at tile_size 512: each tile is a plain decode of at most 64x64 latent cells.
    const perTile = estimateVaeDecodeMemory(SD15_VAE, { ...query, latentHeight: Math.min(64, size), latentWidth: Math.min(64, size) }).peakBytes;
    const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    console.log(
      `SD 1.5 VAE decode at ${size * 8}x${size * 8}, batch 1 (flash): plain ${mib(plain)}; image-normalised tiles of ` +
        `512 px ${mib(tiled(64))}, 256 px ${mib(tiled(32))}, 128 px ${mib(tiled(16))}, 32 px ${mib(tiled(4))}; tile-normalised (512 px) ${mib(perTile)}`,
    );
    expect(tiled(32)).toBeLessThan(plain);
    expect(tiled(16)).toBeLessThan(tiled(32));
    expect(tiled(4)).toBeLessThan(tiled(16));
  });
});
