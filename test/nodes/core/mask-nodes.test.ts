// The mask nodes against ComfyUI's definitions (GrowMask: scipy's grey dilation/erosion; FeatherMask and
// MaskComposite: ComfyUI's loops in torch; test/fixtures/image-ops), and the small ones by hand.
import { describe, expect, it } from 'vitest';

import cropMask from '../../../nodes/core/crop-mask.ts';
import featherMask from '../../../nodes/core/feather-mask.ts';
import growMask from '../../../nodes/core/grow-mask.ts';
import imageToMask from '../../../nodes/core/image-to-mask.ts';
import invertMask from '../../../nodes/core/invert-mask.ts';
import maskComposite from '../../../nodes/core/mask-composite.ts';
import maskToImage from '../../../nodes/core/mask-to-image.ts';
import solidMask from '../../../nodes/core/solid-mask.ts';
import thresholdMask from '../../../nodes/core/threshold-mask.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';
import { ref, refImage, refMask } from '../../helpers/image-ops-reference.ts';
import { testContext } from '../../helpers/node-context.ts';

const ctx = () => testContext('mask');

describe('mask nodes', () => {
  for (const expand of [-1, 2, 3])
    for (const tapered of [true, false])
      it(`GrowMask expand ${expand} tapered ${tapered}`, async () => {
        const out = await growMask.run({ mask: refMask('mask'), expand, tapered_corners: tapered }, ctx());
        expect(maxAbsDiff(out.MASK.data, ref(`grow/${expand}/${Number(tapered)}`))).toBe(0);
      });

  it('FeatherMask (ComfyUI indexes right/bottom from -0, the first column, then the last ones)', async () => {
    const out = await featherMask.run({ mask: refMask('soft'), left: 3, top: 2, right: 4, bottom: 5 }, ctx());
    expect(maxAbsDiff(out.MASK.data, ref('feather/3-2-4-5'))).toBeLessThan(1e-6);
  });

  for (const operation of ['multiply', 'add', 'subtract', 'and', 'or', 'xor'] as const)
    it(`MaskComposite ${operation} at (11, 4), cut at the edges`, async () => {
      const out = await maskComposite.run({ destination: refMask('soft'), source: refMask('small'), x: 11, y: 4, operation }, ctx());
      expect(maxAbsDiff(out.MASK.data, ref(`maskcomposite/${operation}`))).toBeLessThan(1e-6);
    });

  it('InvertMask, ThresholdMask, SolidMask, CropMask', async () => {
    const mask = { data: Float32Array.of(0, 0.25, 0.5, 1, 0.75, 0.5), shape: [1, 2, 3] as const };
    expect([...(await invertMask.run({ mask }, ctx())).MASK.data]).toEqual([1, 0.75, 0.5, 0, 0.25, 0.5]);
    expect([...(await thresholdMask.run({ mask, value: 0.5 }, ctx())).MASK.data]).toEqual([0, 0, 0, 1, 1, 0]);
    const solid = (await solidMask.run({ value: 0.25, width: 3, height: 2 }, ctx())).MASK;
    expect(solid.shape).toEqual([1, 2, 3]);
    expect([...solid.data]).toEqual([0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    const cropped = (await cropMask.run({ mask, x: 1, y: 1, width: 5, height: 5 }, ctx())).MASK;
    expect(cropped.shape).toEqual([1, 1, 2]);
    expect([...cropped.data]).toEqual([0.75, 0.5]);
  });

  it('ImageToMask takes one channel; MaskToImage gives grey; alpha is refused with what to use instead', async () => {
    const image = refImage('image');
    const green = (await imageToMask.run({ image, channel: 'green' }, ctx())).MASK;
    expect(green.shape).toEqual([2, 13, 17]);
    expect(green.data[5]).toBe(image.data[5 * 3 + 1]);
    const grey = (await maskToImage.run({ mask: green }, ctx())).IMAGE;
    expect([grey.data[15], grey.data[16], grey.data[17]]).toEqual([green.data[5], green.data[5], green.data[5]]);
    await expect(async () => imageToMask.run({ image, channel: 'alpha' }, ctx())).rejects.toThrow(/LoadImage's MASK/);
  });
});
