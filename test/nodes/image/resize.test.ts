// The resize filters (ImageScale, LatentUpscale's bislerp) against torch.nn.functional.interpolate, PIL's
// LANCZOS and ComfyUI's bislerp (test/fixtures/image-ops, scripts/reference/make_image_ops.py).
import { describe, expect, it } from 'vitest';

import imageScale from '../../../nodes/core/image-scale.ts';
import latentUpscale from '../../../nodes/core/latent-upscale.ts';
import latentUpscaleBy from '../../../nodes/core/latent-upscale-by.ts';
import { latentPlanes } from '../../../nodes/image/convert.ts';
import { commonUpscale, roundHalfEven } from '../../../nodes/image/resize.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';
import { ref, refImage, refLatent, refShape } from '../../helpers/image-ops-reference.ts';
import { testContext } from '../../helpers/node-context.ts';

const SIZES = { up: [30, 21], down: [9, 7], wide: [40, 11] } as const;
// float32 arithmetic in a different order than torch's: a few ulps. Lanczos goes through 8-bit values and PIL's
// fixed-point sums, which this reproduces exactly.
const TOLERANCE = { 'nearest-exact': 0, bilinear: 1e-6, area: 1e-6, bicubic: 2e-6, lanczos: 0 } as const;

describe('ImageScale against torch / PIL', () => {
  for (const method of ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const)
    for (const [name, [width, height]] of Object.entries(SIZES))
      for (const crop of ['disabled', 'center'] as const)
        it(`${method} ${name} (${width}x${height}) crop ${crop}`, async () => {
          const out = await imageScale.run({ image: refImage('image'), upscale_method: method, width, height, crop }, testContext('ImageScale'));
          const key = `resize/${method}/${name}/${crop}`;
          expect([...out.IMAGE.shape]).toEqual(refShape(key));
          expect(maxAbsDiff(out.IMAGE.data, ref(key))).toBeLessThanOrEqual(TOLERANCE[method]);
        });

  it('keeps the aspect ratio when one side is 0 and passes the picture through when both are', async () => {
    const image = refImage('image'); // 17x13
    const out = await imageScale.run({ image, upscale_method: 'bilinear', width: 34, height: 0, crop: 'disabled' }, testContext('ImageScale'));
    expect(out.IMAGE.shape).toEqual([2, 26, 34, 3]);
    const same = await imageScale.run({ image, upscale_method: 'bilinear', width: 0, height: 0, crop: 'disabled' }, testContext('ImageScale'));
    expect(same.IMAGE).toBe(image);
  });

  it('rounds sizes as Python does (halves to even)', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 3]);
  });
});

describe('bislerp against ComfyUI', () => {
  for (const [name, [w, h]] of Object.entries({ up: [12, 9], down: [4, 3], odd: [11, 6] }))
    it(`${name}: 7x5 -> ${w}x${h} cells (a zero vector and equal neighbours included)`, () => {
      const out = commonUpscale(latentPlanes(refLatent('latent')), 4, w, h, 'bislerp', 'disabled');
      expect([2, 4, out.h, out.w]).toEqual(refShape(`bislerp/${name}`));
      expect(maxAbsDiff(out.data, ref(`bislerp/${name}`))).toBeLessThan(1e-5);
    });

  it('LatentUpscaleBy 1.75 with bislerp: 7x5 -> 12x9 cells', async () => {
    const out = await latentUpscaleBy.run({ samples: refLatent('latent'), upscale_method: 'bislerp', scale_by: 1.75 }, testContext('LatentUpscaleBy'));
    expect(out.LATENT.shape).toEqual([2, 4, 9, 12]);
    expect(maxAbsDiff(out.LATENT.samples, ref('bislerp/up'))).toBeLessThan(1e-5);
  });

  it('LatentUpscale keeps at least 64 pixels a side, as ComfyUI', async () => {
    const out = await latentUpscale.run({ samples: refLatent('latent'), upscale_method: 'bilinear', width: 32, height: 0, crop: 'disabled' }, testContext('LatentUpscale'));
    // width max(64, 32) = 64; height max(64, round(5 * 64 / 7) = 46) = 64: 8 x 8 cells.
    expect(out.LATENT.shape).toEqual([2, 4, 8, 8]);
  });
});
