/** The example code pack's image-blend node (examples/packs/latentflow-example) on small hand-checked values. */
import { describe, expect, it } from 'vitest';

import imageBlendNode, { blend, BLEND_MODES } from '../../../../examples/packs/latentflow-example/image-blend.ts';
import type { Image } from '../../../../examples/packs/latentflow-example/values.ts';
import { close, ctx, image } from './helpers.ts';

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
