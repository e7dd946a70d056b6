// make:sdxl-random: SDXL base's exact parameter counts; the full-size SGM layout loads through the
// single-file loader with SDXL's defaults (sparse file: header + a hole, no 7 GB written); the tiny
// variant runs both text encoders and the UNet with its added conditioning.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';

import { encodeTextPooled, loadCheckpointInfo, loadModel, unetForward, vaeDecode } from '../../native/index.ts';
import { parameterCounts, writeRandomCheckpoint } from '../../scripts/make-sd15-random.ts';
import { SDXL, SDXL_REFINER, TINY_SDXL, TINY_SDXL_REFINER } from '../../scripts/make-sdxl-random.ts';
import { SDXL_REFINER_UNET, SDXL_UNET } from '../helpers/sdxl-configs.ts';
import { makeTempDir } from '../native/io/safetensors-files.ts';

const tmp = makeTempDir('sdxl-random');
afterAll(() => tmp.cleanup());

describe('make:sdxl-random', () => {
  it('has SDXL base 1.0 parameter counts (UNet 2.57 B, CLIP-L 123 M, OpenCLIP bigG 695 M)', () => {
    expect(parameterCounts(SDXL)).toEqual({ unet: 2_567_463_684, vae: 83_653_863, clip: 123_060_480, clipG: 694_659_840 });
  });

  it('the full-size file loads with SDXL base configurations inferred (sparse: the layout, no values)', async () => {
    const file = path.join(tmp.dir, 'sdxl-sparse.safetensors');
    writeRandomCheckpoint(file, SDXL, { fill: 'sparse' });
    const info = await loadCheckpointInfo(file, 'f16');
    const { unet } = info.configs;
    for (const key of Object.keys(SDXL_UNET) as (keyof typeof SDXL_UNET)[]) expect(unet[key], key).toEqual(SDXL_UNET[key]);
    expect(info.configs.vae.scaling_factor).toBeCloseTo(0.13025, 6);
    expect(info.configs.clip2).toMatchObject({ hidden_size: 1280, num_hidden_layers: 32, num_attention_heads: 20, projection_dim: 1280, hidden_act: 'gelu' });
    // f16 weights stay zero-copy views of the file (the 5.1 GB UNet is not copied).
    const matrices = info.tensors.filter((t) => t.component === 'unet' && t.shape.length >= 2);
    expect(matrices.length).toBeGreaterThan(700);
    expect(matrices.every((t) => t.storage === 'mapped')).toBe(true);
  });

  it('the tiny variant runs: both encoders with the pooled output, the UNet with text_time, the VAE', async () => {
    const file = path.join(tmp.dir, 'tiny-sdxl-random.safetensors');
    writeRandomCheckpoint(file, TINY_SDXL, { seed: 7 });
    const model = await loadModel(file, { weights: 'f16' });
    try {
      const ids = new Int32Array(77).fill(0);
      ids.set([49406, 320, 2368, 49407]);
      const l = await encodeTextPooled(model, 0, ids, { clipSkip: 2, finalLayerNorm: false });
      const g = await encodeTextPooled(model, 1, ids, { clipSkip: 2, finalLayerNorm: false });
      expect(g.pooled.length).toBe(64);
      const dim = model.info.unet.cross_attention_dim;
      expect(dim).toBe(l.hidden.length / 77 + g.hidden.length / 77);
      const context = new Float32Array(2 * 77 * dim).map((_, i) => Math.cos(i * 0.1));
      const added = { textEmbeds: new Float32Array(2 * 64).fill(0.3), timeIds: Float32Array.of(64, 64, 0, 0, 64, 64, 64, 64, 0, 0, 64, 64) };
      const eps = await unetForward(model, new Float32Array(2 * 4 * 8 * 8).fill(0.5), [2, 4, 8, 8], Float32Array.of(500, 500), context, { added, attention: 'flash' });
      expect(eps.every(Number.isFinite)).toBe(true);
      const image = await vaeDecode(model, eps.subarray(0, 4 * 64), [1, 4, 8, 8]);
      expect(image.length).toBe(3 * 64 * 64);
    } finally {
      model.dispose();
    }
  });

  it('--refiner: the full-size SDXL refiner 1.0 file loads as a refiner with its configuration inferred (sparse)', async () => {
    const counts = parameterCounts(SDXL_REFINER);
    expect(counts.clip).toBe(0);
    expect(counts.clipG).toBe(694_659_840); // bigG, as the base's
    const file = path.join(tmp.dir, 'sdxl-refiner-sparse.safetensors');
    writeRandomCheckpoint(file, SDXL_REFINER, { fill: 'sparse' });
    const info = await loadCheckpointInfo(file, 'f16');
    const { unet } = info.configs;
    for (const key of Object.keys(SDXL_REFINER_UNET) as (keyof typeof SDXL_REFINER_UNET)[]) expect(unet[key], key).toEqual(SDXL_REFINER_UNET[key]);
    expect(info.configs.clip).toBeUndefined();
    expect(info.configs.clip2).toMatchObject({ hidden_size: 1280, num_hidden_layers: 32, num_attention_heads: 20, projection_dim: 1280 });
  });

  it('--refiner --tiny runs: bigG with the pooled output, the UNet with 5 time ids', async () => {
    const file = path.join(tmp.dir, 'tiny-sdxl-refiner-random.safetensors');
    writeRandomCheckpoint(file, TINY_SDXL_REFINER, { seed: 7 });
    const model = await loadModel(file, { weights: 'f16' });
    try {
      const ids = new Int32Array(77).fill(0);
      ids.set([49406, 320, 2368, 49407]);
      const g = await encodeTextPooled(model, 1, ids, { clipSkip: 2, finalLayerNorm: false });
      expect(model.info.unet.cross_attention_dim).toBe(g.hidden.length / 77);
      const context = new Float32Array(2 * 77 * 128).map((_, i) => Math.cos(i * 0.1));
      const added = { textEmbeds: new Float32Array(2 * 64).fill(0.3), timeIds: Float32Array.of(64, 64, 0, 0, 6, 64, 64, 0, 0, 2.5) };
      const eps = await unetForward(model, new Float32Array(2 * 4 * 8 * 8).fill(0.5), [2, 4, 8, 8], Float32Array.of(500, 500), context, { added, attention: 'flash' });
      expect(eps.every(Number.isFinite)).toBe(true);
    } finally {
      model.dispose();
    }
  });
});
