// SDXL against diffusers 0.27.2 / transformers 4.39 (test/fixtures/sdxl, copied from the shared SDXL
// fixtures: a tiny SDXL with random weights): the two text encoders, the prompt and pooled embeddings
// as StableDiffusionXLPipeline.encode_prompt builds them, one UNet call with text_time added
// conditioning and a VAE decode with scaling 0.13025, from the diffusers folder (fp32, within 1e-4 of
// the largest reference value) and from the single fp16 file in the SGM layout (within f16 tolerance:
// its weights are rounded to f16, 2e-2 of the largest reference value as for SD 1.x's f16 runs).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CLIPTokenizer } from '../../../nodes/text/clip-tokenizer.ts';
import { encodeTextPooled, estimateUnetMemory, loadModel, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const root = 'test/fixtures/sdxl';
const expected = readSafetensors(`${root}/expected/sdxl.safetensors`);
const prompt = 'a watercolor lighthouse on a cliff, stormy sea';
const ids = (name: string) => Int32Array.from(f32(expected, name), (v) => Math.round(v));

const layouts = [
  { layout: 'diffusers folder', path: `${root}/tiny-sdxl`, weights: 'f32' as const, bound: 1e-4 },
  { layout: 'single file (SGM, fp16)', path: `${root}/tiny-sdxl/tiny-sdxl.safetensors`, weights: 'f32' as const, bound: 2e-2 },
  { layout: 'single file (SGM, fp16), f16 storage', path: `${root}/tiny-sdxl/tiny-sdxl.safetensors`, weights: 'f16' as const, bound: 2e-2 },
];

describe('SDXL tokenizers', () => {
  it('tokenizer pads with <|endoftext|>, tokenizer_2 with "!" (id 0), as the fixture ids', async () => {
    const t1 = await CLIPTokenizer.load(`${root}/tiny-sdxl/tokenizer`);
    const t2 = await CLIPTokenizer.load(`${root}/tiny-sdxl/tokenizer_2`);
    expect(t2.padId).toBe(0);
    expect(Array.from(t1.encode(prompt).inputIds)).toEqual(Array.from(ids('te1.input_ids')));
    expect(Array.from(t2.encode(prompt).inputIds)).toEqual(Array.from(ids('te2.input_ids')));
  });
});

describe.each(layouts)('SDXL from the $layout', ({ path, weights, bound }) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(path, { weights });
  });
  afterAll(() => model.dispose());

  it('reads the configuration (two encoders, text_time, transformer depths, VAE scale)', () => {
    const { unet, vae, clip, clip2 } = model.info;
    expect(unet.transformer_layers_per_block).toEqual([1, 2, 3]);
    expect(unet.num_attention_heads).toEqual([2, 4, 6]);
    expect(unet.use_linear_projection).toBe(true);
    expect(unet.addition_embed_type).toBe('text_time');
    expect(unet.addition_time_embed_dim).toBe(8);
    expect(unet.projection_class_embeddings_input_dim).toBe(88);
    expect(vae.scaling_factor).toBeCloseTo(0.13025, 6);
    expect(clip!.hidden_act).toBe('quick_gelu');
    expect(clip2).toMatchObject({ hidden_size: 48, num_attention_heads: 6, hidden_act: 'gelu', projection_dim: 40 });
  });

  it(`text encoders: last and penultimate hidden states, pooled projection, within ${bound} x max|ref|`, async () => {
    const te1 = await encodeTextPooled(model, 0, ids('te1.input_ids'), { clipSkip: 1, finalLayerNorm: true });
    expect(relativeMaxError(te1.hidden, f32(expected, 'te1.last_hidden_state'))).toBeLessThanOrEqual(bound);
    const pen1 = await encodeTextPooled(model, 0, ids('te1.input_ids'), { clipSkip: 2, finalLayerNorm: false });
    expect(relativeMaxError(pen1.hidden, f32(expected, 'te1.penultimate'))).toBeLessThanOrEqual(bound);
    const te2 = await encodeTextPooled(model, 1, ids('te2.input_ids'), { clipSkip: 1, finalLayerNorm: true });
    expect(relativeMaxError(te2.hidden, f32(expected, 'te2.last_hidden_state'))).toBeLessThanOrEqual(bound);
    const pen2 = await encodeTextPooled(model, 1, ids('te2.input_ids'), { clipSkip: 2, finalLayerNorm: false });
    expect(relativeMaxError(pen2.hidden, f32(expected, 'te2.penultimate'))).toBeLessThanOrEqual(bound);
    expect(relativeMaxError(pen2.pooled, f32(expected, 'te2.text_embeds'))).toBeLessThanOrEqual(bound);
    expect(relativeMaxError(te2.pooled, f32(expected, 'te2.text_embeds'))).toBeLessThanOrEqual(bound);
  });

  it(`UNet call with text_time added conditioning (timesteps 981, 137) within ${bound} x max|ref|`, async () => {
    const added = { textEmbeds: f32(expected, 'unet.text_embeds'), timeIds: f32(expected, 'unet.time_ids') };
    const out = await unetForward(model, f32(expected, 'unet.sample'), [2, 4, 16, 16], f32(expected, 'unet.timesteps'),
      f32(expected, 'unet.encoder_hidden_states'), { added });
    const err = relativeMaxError(out, f32(expected, 'unet.noise_pred'));
    console.log(`SDXL UNet (${path}): max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(bound);
    for (const attention of ['sliced', 'flash'] as const) {
      const other = await unetForward(model, f32(expected, 'unet.sample'), [2, 4, 16, 16], f32(expected, 'unet.timesteps'),
        f32(expected, 'unet.encoder_hidden_states'), { added, attention });
      expect(relativeMaxError(other, out)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('refuses a UNet call without the added conditioning, naming what is missing', async () => {
    await expect(unetForward(model, f32(expected, 'unet.sample'), [2, 4, 16, 16], f32(expected, 'unet.timesteps'),
      f32(expected, 'unet.encoder_hidden_states'))).rejects.toThrow(/pooled text embedding and the 6 time ids/);
  });

  it(`VAE decode of latent / 0.13025 within ${bound} x max|ref|`, async () => {
    const latent = f32(expected, 'vae.latent').map((v) => v / model.info.vae.scaling_factor);
    const image = await vaeDecode(model, latent, [1, 4, 16, 16]);
    expect(relativeMaxError(image, f32(expected, 'vae.decoded'))).toBeLessThanOrEqual(bound);
  });

  it('estimates the UNet call from the measure pass, with its added embedding', () => {
    const e = estimateUnetMemory(model, { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'naive' });
    expect(e.peakBytes).toBeGreaterThan(0);
    expect(estimateUnetMemory(model.info.unet, { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'naive' }).peakBytes).toBe(e.peakBytes);
  });
});
