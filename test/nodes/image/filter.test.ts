// ImageBlur and ImageSharpen against ComfyUI's definitions in torch (test/fixtures/image-ops).
import { describe, expect, it } from 'vitest';

import imageBlur from '../../../nodes/core/image-blur.ts';
import imageSharpen from '../../../nodes/core/image-sharpen.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';
import { ref, refImage } from '../../helpers/image-ops-reference.ts';
import { testContext } from '../../helpers/node-context.ts';

describe('ImageBlur / ImageSharpen', () => {
  it.each([
    [2, 1.5, 'blur/r2s1.5'],
    [1, 0.3, 'blur/r1s0.3'],
  ])('blur radius %d sigma %d', async (blur_radius, sigma, key) => {
    const out = await imageBlur.run({ image: refImage('image'), blur_radius, sigma }, testContext('ImageBlur'));
    expect(out.IMAGE.shape).toEqual([2, 13, 17, 3]);
    expect(maxAbsDiff(out.IMAGE.data, ref(key))).toBeLessThan(2e-6);
  });

  it.each([
    [1, 1, 1, 'sharpen/r1s1a1'],
    [3, 2, 0.4, 'sharpen/r3s2a0.4'],
  ])('sharpen radius %d sigma %d alpha %d', async (sharpen_radius, sigma, alpha, key) => {
    const out = await imageSharpen.run({ image: refImage('image'), sharpen_radius, sigma, alpha }, testContext('ImageSharpen'));
    expect(maxAbsDiff(out.IMAGE.data, ref(key))).toBeLessThan(1e-5);
  });

  it('refuses a radius the picture is too small to reflect, saying what to do', async () => {
    await expect(async () => imageBlur.run({ image: refImage('image'), blur_radius: 13, sigma: 1 }, testContext('ImageBlur'))).rejects.toThrow(/smaller radius/);
  });
});
