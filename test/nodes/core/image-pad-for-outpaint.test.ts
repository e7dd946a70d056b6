// ImagePadForOutpaint against ComfyUI's definition (test/fixtures/image-ops).
import { describe, expect, it } from 'vitest';

import imagePadForOutpaint from '../../../nodes/core/image-pad-for-outpaint.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';
import { ref, refImage, refShape } from '../../helpers/image-ops-reference.ts';
import { testContext } from '../../helpers/node-context.ts';

describe('ImagePadForOutpaint', () => {
  it('grey borders, a mask of 1 on them feathered into the picture along the padded sides', async () => {
    const out = await imagePadForOutpaint.run({ image: refImage('image'), left: 8, top: 0, right: 16, bottom: 24, feathering: 5 }, testContext('ImagePadForOutpaint'));
    expect([...out.IMAGE.shape]).toEqual(refShape('pad/image'));
    expect(maxAbsDiff(out.IMAGE.data, ref('pad/image'))).toBe(0);
    expect([...out.MASK.shape]).toEqual(refShape('pad/mask'));
    expect(maxAbsDiff(out.MASK.data, ref('pad/mask'))).toBeLessThan(1e-7);
  });
});
