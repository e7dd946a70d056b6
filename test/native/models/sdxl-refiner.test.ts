// An SDXL refiner against the PyTorch reference (test/fixtures/sdxl-refiner, made by
// scripts/reference/make_sdxl_refiner.py, whose UNet and bigG code reproduce diffusers' / transformers'
// outputs on the SDXL fixture): a tiny refiner with random weights in both layouts (a diffusers folder
// with text_encoder_2 alone, and one fp32 file in the SGM layout with conditioner.embedders.0.model.*).
// Its one text encoder (OpenCLIP bigG: penultimate hidden states, pooled projection) and one UNet call with
// the refiner's 5 time ids (original size, crop, aesthetic score), within 1e-4 of the largest reference value.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, encodeTextPooled, estimateTextEncodeMemory, estimateUnetMemory, loadModel, native, unetForward, type ModelHandle } from '../../../native/index.ts';
import { AttentionMemoryError, planUnetAttention } from '../../../nodes/models/attention-plan.ts';
import { SDXL_REFINER_UNET } from '../../helpers/sdxl-configs.ts';
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

  it.each(['naive', 'sliced', 'flash'] as const)('UNet memory estimate (%s) equals the measured arena peak, from the model or its configuration', async (attention) => {
    const [batch, h, w] = [2, 24, 16];
    const latent = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i * 0.37));
    const context = new Float32Array(batch * 77 * 48).map((_, i) => Math.cos(i * 0.11));
    const added = { textEmbeds: new Float32Array(batch * 40).fill(0.5), timeIds: Float32Array.of(192, 128, 0, 0, 6, 192, 128, 0, 0, 2.5) };
    const estimate = estimateUnetMemory(model, { batch, latentHeight: h, latentWidth: w, attention });
    expect(estimateUnetMemory(model.info.unet, { batch, latentHeight: h, latentWidth: w, attention }).peakBytes).toBe(estimate.peakBytes);
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await unetForward(model, latent, [batch, 4, h, w], new Float32Array(batch).fill(500), context, { attention, added });
    expect(estimate.peakBytes).toBe(native.memoryStats().activationsPeak - base);
  });

  it("estimates its text encoder (bigG, the refiner's one) as from bigG's configuration", () => {
    const estimate = estimateTextEncodeMemory(model, { batch: 2, tokens: 77 });
    expect(estimate.peakBytes).toBeGreaterThan(0);
    expect(estimateTextEncodeMemory(model.info.clip2!, { batch: 2, tokens: 77 })).toEqual(estimate);
  });
});

describe('SDXL refiner 1.0 memory (configuration alone)', () => {
  it('a 1024x1024 CFG step: flash fits in a fraction of naive; naive is refused up front where flash fits, auto picks flash', () => {
    const shape = { batch: 2, latentHeight: 128, latentWidth: 128 };
    const naive = estimateUnetMemory(SDXL_REFINER_UNET, { ...shape, attention: 'naive' });
    const flash = estimateUnetMemory(SDXL_REFINER_UNET, { ...shape, attention: 'flash' });
    console.log(`SDXL refiner 128x128 batch 2: naive ~${(naive.peakBytes / 2 ** 30).toFixed(2)} GiB, flash ~${(flash.peakBytes / 2 ** 30).toFixed(2)} GiB`);
    expect(naive.breakdown.attentionAt).toMatch(/^(down|up)_blocks\.1\.attentions/); // the 64x64 level: 4096 tokens
    expect(flash.peakBytes).toBeLessThan(naive.peakBytes / 2);
    const budget = Math.floor((flash.peakBytes + naive.peakBytes) / 2);
    expect(() => planUnetAttention('naive', SDXL_REFINER_UNET, shape, budget)).toThrow(AttentionMemoryError);
    expect(planUnetAttention('auto', SDXL_REFINER_UNET, shape, budget).mode).toBe('flash');
  });
});
