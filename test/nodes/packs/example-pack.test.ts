/** The example code pack's nodes (examples/packs/latentflow-example) on small hand-checked values. */
import { describe, expect, it } from 'vitest';

import imageBlendNode, { blend, BLEND_MODES } from '../../../examples/packs/latentflow-example/image-blend.ts';
import imageInvertNode, { invert } from '../../../examples/packs/latentflow-example/image-invert.ts';
import latentScaleNode, { scaleLatent } from '../../../examples/packs/latentflow-example/latent-scale.ts';
import type { Image, Latent } from '../../../examples/packs/latentflow-example/values.ts';
import type { NodeContext } from '../../../nodes/schema.ts';

const ctx = {} as NodeContext;
const image = (values: number[], shape: Image['shape']): Image => ({ data: Float32Array.from(values), shape });
const latent = (values: number[], shape: Latent['shape']): Latent => ({ samples: Float32Array.from(values), shape });
const close = (got: ArrayLike<number>, expected: number[], tolerance = 1e-6) => {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(tolerance);
};

describe('ImageInvert', () => {
  it('gives 1 - x and keeps the shape; refuses what is not an IMAGE', async () => {
    const out = invert(image([0, 0.25, 1, 0.5, 0.75, 0.1], [1, 1, 2, 3]));
    close(out.data, [1, 0.75, 0, 0.5, 0.25, 0.9]);
    expect(out.shape).toEqual([1, 1, 2, 3]);
    expect(() => imageInvertNode.run({ image: { data: new Float32Array(5), shape: [1, 1, 2, 3] as never } }, ctx)).toThrow('data has 5 values, shape [1, 1, 2, 3] needs 6');
    expect(() => imageInvertNode.run({ image: { samples: new Float32Array(4), shape: [1, 4, 1, 1] } as never }, ctx)).toThrow('input "image" is not an IMAGE');
  });
});

describe('ImageBlend', () => {
  it('matches the formula of each mode (a = 0.2, 0.6, b = 0.5, 0.9)', () => {
    const image1 = image([0.2, 0.6, 0.2], [1, 1, 1, 3]);
    const image2 = image([0.5, 0.9, 0.9], [1, 1, 1, 3]);
    const full: Record<(typeof BLEND_MODES)[number], number[]> = {
      normal: [0.5, 0.9, 0.9],
      multiply: [0.1, 0.54, 0.18],
      screen: [0.6, 0.96, 0.92],
      overlay: [0.2, 1 - 2 * 0.4 * 0.1, 0.36],
      soft_light: [0.2, 0.6 + 0.8 * (Math.sqrt(0.6) - 0.6), 0.2 + 0.8 * (((16 * 0.2 - 12) * 0.2 + 4) * 0.2 - 0.2)],
      difference: [0, 0, 0], // a - b is negative here, clamped to 0
    };
    for (const mode of BLEND_MODES) close(blend(image1, image2, 1, mode).data, full[mode]);
    // blend_factor mixes with image1: 0.25 of the multiply result.
    close(blend(image1, image2, 0.25, 'multiply').data, [0.2 * 0.75 + 0.1 * 0.25, 0.6 * 0.75 + 0.54 * 0.25, 0.2 * 0.75 + 0.18 * 0.25]);
    close(blend(image1, image2, 0, 'screen').data, [0.2, 0.6, 0.2]);
  });

  it('uses an image2 batch of one for every image of image1, and refuses other size mismatches', async () => {
    const two = image([0, 0, 0, 1, 1, 1], [2, 1, 1, 3]);
    const gray = image([0.5, 0.5, 0.5], [1, 1, 1, 3]);
    const out = await imageBlendNode.run({ image1: two, image2: gray, blend_factor: 0.5, blend_mode: 'normal' }, ctx);
    close((out.IMAGE as Image).data, [0.25, 0.25, 0.25, 0.75, 0.75, 0.75]);
    expect(() => blend(gray, image([0, 0, 0, 0, 0, 0], [1, 1, 2, 3]), 0.5, 'normal')).toThrow('image2 is 2x1 but image1 is 1x1');
    expect(() => blend(image([0, 0, 0, 0, 0, 0, 0, 0, 0], [3, 1, 1, 3]), two, 0.5, 'normal')).toThrow('image2 has a batch of 2, image1 of 3');
  });
});

describe('LatentScale', () => {
  it('bilinear 2x equals PyTorch F.interpolate(mode="bilinear", align_corners=False)', () => {
    // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), scale_factor=2, mode='bilinear')
    const out = scaleLatent(latent([0, 1, 2, 3], [1, 1, 2, 2]), 2, 'bilinear');
    expect(out.shape).toEqual([1, 1, 4, 4]);
    close(out.samples, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('nearest-exact picks floor((dst + 0.5) * in / out): 2x repeats pixels, 3 -> 2 takes columns 0 and 2', () => {
    const up = scaleLatent(latent([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), 2, 'nearest-exact');
    expect(up.shape).toEqual([1, 2, 4, 4]);
    close(up.samples.subarray(0, 16), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    close(up.samples.subarray(16), [5, 5, 6, 6, 5, 5, 6, 6, 7, 7, 8, 8, 7, 7, 8, 8]);
    const down = scaleLatent(latent([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]), 2 / 3, 'nearest-exact');
    expect(down.shape).toEqual([1, 1, 2, 2]);
    close(down.samples, [0, 2, 6, 8]);
  });

  it('scale 1 is the identity for both methods (odd sizes, 4 channels, batch 2); other keys are kept', async () => {
    const values = Array.from({ length: 2 * 4 * 3 * 5 }, (_, i) => Math.sin(i));
    for (const method of ['bilinear', 'nearest-exact'] as const) {
      const out = await latentScaleNode.run({ samples: { ...latent(values, [2, 4, 3, 5]), batch_index: [0, 1] } as never, scale_by: 1, upscale_method: method }, ctx);
      expect((out.LATENT as Latent).shape).toEqual([2, 4, 3, 5]);
      expect((out.LATENT as Latent).batch_index).toEqual([0, 1]);
      close((out.LATENT as Latent).samples, values);
    }
    // ComfyUI's size rule: round(64 * 1.5) = 96, round(5 * 1.5) = round(7.5) = 8.
    expect(scaleLatent(latent(new Array(64 * 5).fill(0), [1, 1, 64, 5]), 1.5, 'bilinear').shape).toEqual([1, 1, 96, 8]);
  });
});
