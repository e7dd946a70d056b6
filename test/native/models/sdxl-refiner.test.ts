// An SDXL refiner against the PyTorch reference (test/fixtures/sdxl-refiner, made by
// scripts/reference/make_sdxl_refiner.py, whose UNet and bigG code reproduce diffusers' / transformers'
// outputs on the SDXL fixture): a tiny refiner with random weights in both layouts (a diffusers folder
// with text_encoder_2 alone, and one fp32 file in the SGM layout with conditioner.embedders.0.model.*).
// Its one text encoder (OpenCLIP bigG: penultimate hidden states, pooled projection) and one UNet call with
// the refiner's 5 time ids (original size, crop, aesthetic score), within 1e-4 of the largest reference value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, encodeTextPooled, estimateUnetMemory, loadModel, unetForward, type ModelHandle } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const root = 'test/fixtures/sdxl-refiner';
const expected = readSafetensors(`${root}/expected/refiner.safetensors`);
const ids = Int32Array.from(f32(expected, 'te.input_ids'), (v) => Math.round(v));
const bound = 1e-4;

describe.each([
  { layout: 'diffusers folder', path: `${root}/tiny-sdxl-refiner`, weights: 'f32' as const },
  { layout: 'single file (SGM, fp32)', path: `${root}/tiny-sdxl-refiner.safetensors`, weights: 'f32' as const },
  { layout: 'single file (SGM, fp32), f16 storage', path: `${root}/tiny-sdxl-refiner.safetensors`, weights: 'f16' as const, storageBound: 2e-2 },
])('SDXL refiner from the $layout', ({ path, weights, storageBound }) => {
  const tolerance = storageBound ?? bound;
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(path, { weights });
  });
  afterAll(() => model.dispose());

  it('is detected as a refiner: bigG alone, 5 time ids of 8 (adm 40 + 5 x 8), no CLIP-L', () => {
    const { unet, clip, clip2, vae } = model.info;
    expect(clip).toBeUndefined();
    expect(clip2).toMatchObject({ hidden_size: 48, num_attention_heads: 6, hidden_act: 'gelu', projection_dim: 40 });
    expect(unet.down_block_types).toEqual(['DownBlock2D', 'CrossAttnDownBlock2D', 'CrossAttnDownBlock2D', 'DownBlock2D']);
    expect(unet.cross_attention_dim).toBe(48);
    expect(unet.addition_time_embed_dim).toBe(8);
    expect(unet.projection_class_embeddings_input_dim).toBe(80);
    expect(vae.scaling_factor).toBeCloseTo(0.13025, 6);
  });

  it(`text encoder: penultimate hidden states and the pooled projection within ${tolerance} x max|ref|`, async () => {
    const out = await encodeTextPooled(model, 1, ids, { clipSkip: 2, finalLayerNorm: false });
    expect(relativeMaxError(out.hidden, f32(expected, 'te.penultimate'))).toBeLessThanOrEqual(tolerance);
    expect(relativeMaxError(out.pooled, f32(expected, 'te.text_embeds'))).toBeLessThanOrEqual(tolerance);
  });

  it('refuses encoder 0 (it has no CLIP-L), naming the refiner', async () => {
    await expect(encodeTextPooled(model, 0, ids)).rejects.toThrow(/SDXL refiner.*encoder 1/);
    await expect(encodeText(model, ids)).rejects.toThrow(/SDXL refiner/);
  });

  it(`UNet call with the refiner's 5 time ids (timesteps 500, 60) within ${tolerance} x max|ref|`, async () => {
    const added = { textEmbeds: f32(expected, 'unet.text_embeds'), timeIds: f32(expected, 'unet.time_ids') };
    const out = await unetForward(model, f32(expected, 'unet.sample'), [2, 4, 16, 16], f32(expected, 'unet.timesteps'),
      f32(expected, 'unet.encoder_hidden_states'), { added });
    const err = relativeMaxError(out, f32(expected, 'unet.noise_pred'));
    console.log(`SDXL refiner UNet (${path}, ${weights}): max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(tolerance);
  });

  it("refuses the base model's 6 time ids, naming both counts", async () => {
    const added = { textEmbeds: f32(expected, 'unet.text_embeds'), timeIds: new Float32Array(12) };
    await expect(unetForward(model, f32(expected, 'unet.sample'), [2, 4, 16, 16], f32(expected, 'unet.timesteps'),
      f32(expected, 'unet.encoder_hidden_states'), { added })).rejects.toThrow(/6 time ids x 8 .*refiner: pooled \+ 5 x 8/);
  });

  it('estimates the UNet call from the measure pass and from the configuration alone alike', () => {
    const query = { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'flash' as const };
    const e = estimateUnetMemory(model, query);
    expect(e.peakBytes).toBeGreaterThan(0);
    expect(estimateUnetMemory(model.info.unet, query).peakBytes).toBe(e.peakBytes);
  });
});
