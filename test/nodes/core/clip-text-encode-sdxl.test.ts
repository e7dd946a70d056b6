// CLIPTextEncodeSDXL and CLIPTextEncode with an SDXL checkpoint, against the fixture's prompt embeddings
// (StableDiffusionXLPipeline.encode_prompt: both encoders' penultimate states concatenated, the second's
// pooled projection) and ComfyUI's size conditioning (the UNet's time ids).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import clipTextEncode from '../../../nodes/core/clip-text-encode.ts';
import clipTextEncodeSdxl from '../../../nodes/core/clip-text-encode-sdxl.ts';
import conditioningZeroOut from '../../../nodes/core/conditioning-zero-out.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../../../nodes/models/load-checkpoint.ts';
import { sdxlAdded } from '../../../nodes/sampling/comfy/conditioning.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const expected = readSafetensors('test/fixtures/sdxl/expected/sdxl.safetensors');
const prompt = 'a watercolor lighthouse on a cliff, stormy sea';

describe('SDXL text encoding nodes', () => {
  let loaded: LoadedCheckpoint;
  beforeAll(async () => {
    loaded = await loadCheckpoint('test/fixtures/sdxl/tiny-sdxl', 'f32');
  });
  afterAll(() => loaded.MODEL.model.dispose());

  it('CLIPTextEncode gives prompt_embeds and pooled_prompt_embeds (within 1e-4 x max|ref|), sizes left to the sampler', async () => {
    for (const [text, embeds, pooled] of [
      [prompt, 'prompt_embeds', 'pooled_prompt_embeds'],
      ['low quality', 'negative_prompt_embeds', 'negative_pooled_prompt_embeds'],
    ]) {
      const [entry] = (await clipTextEncode.run({ text, clip: loaded.CLIP }, testContext('CLIPTextEncode'))).CONDITIONING;
      expect(entry.shape).toEqual([1, 77, 80]);
      expect(relativeMaxError(entry.embeddings, f32(expected, embeds))).toBeLessThanOrEqual(1e-4);
      expect(relativeMaxError(entry.pooled!, f32(expected, pooled))).toBeLessThanOrEqual(1e-4);
      expect(entry.sizes).toBeUndefined();
      // ComfyUI's defaults: the latent's size in pixels, no crop, target = original (the fixture's time ids).
      expect(Array.from(sdxlAdded(entry, 16, 16)!.timeIds)).toEqual(Array.from(f32(expected, 'unet.time_ids').subarray(0, 6)));
    }
  });

  it('CLIPTextEncodeSDXL with text_g = text_l equals CLIPTextEncode, and carries the sizes as time ids', async () => {
    const inputs = { clip: loaded.CLIP, width: 2048, height: 1536, crop_w: 16, crop_h: 8, target_width: 1024, target_height: 768, text_g: prompt, text_l: prompt };
    const [entry] = (await clipTextEncodeSdxl.run(inputs, testContext('CLIPTextEncodeSDXL'))).CONDITIONING;
    expect(relativeMaxError(entry.embeddings, f32(expected, 'prompt_embeds'))).toBeLessThanOrEqual(1e-4);
    expect(Array.from(sdxlAdded(entry, 16, 16)!.timeIds)).toEqual([1536, 2048, 8, 16, 768, 1024]);
  });

  it('CLIPTextEncodeSDXL pads the shorter prompt with empty chunks (text_g of two chunks, text_l of one)', async () => {
    const long = Array(90).fill('cat').join(' '); // 90 tokens: two chunks of 75
    const inputs = { clip: loaded.CLIP, width: 128, height: 128, crop_w: 0, crop_h: 0, target_width: 128, target_height: 128, text_g: long, text_l: 'a cat' };
    const [entry] = (await clipTextEncodeSdxl.run(inputs, testContext('CLIPTextEncodeSDXL'))).CONDITIONING;
    expect(entry.shape).toEqual([1, 154, 80]);
  });

  it('ConditioningZeroOut zeros the pooled output too', async () => {
    const cond = (await clipTextEncode.run({ text: prompt, clip: loaded.CLIP }, testContext('CLIPTextEncode'))).CONDITIONING;
    const [entry] = runNode(conditioningZeroOut, { conditioning: cond }).CONDITIONING;
    expect(entry.pooled!.every((v) => v === 0)).toBe(true);
  });

  it('CLIPTextEncodeSDXL refuses an SD 1.x CLIP, naming the input', async () => {
    const sd = await loadCheckpoint('test/fixtures/tiny-sd', 'f32');
    try {
      const inputs = { clip: sd.CLIP, width: 64, height: 64, crop_w: 0, crop_h: 0, target_width: 64, target_height: 64, text_g: 'a', text_l: 'a' };
      await expect(clipTextEncodeSdxl.run(inputs, testContext('CLIPTextEncodeSDXL'))).rejects.toThrow(/input "clip" is an SD 1\.x text encoder/);
    } finally {
      sd.MODEL.model.dispose();
    }
  });
});
