// The small image nodes by hand: crop, invert, batch, EmptyImage, flip, rotate, scale by a factor or to a pixel count.
import { describe, expect, it } from 'vitest';

import emptyImage from '../../../nodes/core/empty-image.ts';
import imageBatch from '../../../nodes/core/image-batch.ts';
import imageCrop from '../../../nodes/core/image-crop.ts';
import imageFlip from '../../../nodes/core/image-flip.ts';
import imageInvert from '../../../nodes/core/image-invert.ts';
import imageRotate from '../../../nodes/core/image-rotate.ts';
import imageScaleBy from '../../../nodes/core/image-scale-by.ts';
import imageScaleToTotalPixels from '../../../nodes/core/image-scale-to-total-pixels.ts';
import { MemoryBudgetError } from '../../../nodes/system/memory.ts';
import { testContext } from '../../helpers/node-context.ts';

const ctx = () => testContext('image');
/** A 1 x 2 x 3 picture whose red channel counts 0..5 row by row (green = 10 x red, blue 0). */
const counting = () => {
  const data = new Float32Array(18);
  for (let i = 0; i < 6; i++) [data[i * 3], data[i * 3 + 1]] = [i, 10 * i];
  return { data, shape: [1, 2, 3, 3] as const };
};
const reds = (image: { data: Float32Array }) => Array.from(image.data.filter((_, i) => i % 3 === 0));

describe('image nodes', () => {
  it('ImageCrop cuts at (x, y), keeping x and y inside and the size within the picture', async () => {
    const out = (await imageCrop.run({ image: counting(), width: 5, height: 1, x: 1, y: 1 }, ctx())).IMAGE;
    expect(out.shape).toEqual([1, 1, 2, 3]);
    expect(reds(out)).toEqual([4, 5]);
    const corner = (await imageCrop.run({ image: counting(), width: 2, height: 2, x: 9, y: 9 }, ctx())).IMAGE;
    expect(reds(corner)).toEqual([5]);
  });

  it('ImageInvert is 1 - v', async () => {
    expect(reds((await imageInvert.run({ image: counting() }, ctx())).IMAGE)).toEqual([1, 0, -1, -2, -3, -4]);
  });

  it('ImageFlip and ImageRotate (clockwise) move pixels as torch.flip / rot90(dims=[2, 1])', async () => {
    expect(reds((await imageFlip.run({ image: counting(), flip_method: 'x-axis: vertically' }, ctx())).IMAGE)).toEqual([3, 4, 5, 0, 1, 2]);
    expect(reds((await imageFlip.run({ image: counting(), flip_method: 'y-axis: horizontally' }, ctx())).IMAGE)).toEqual([2, 1, 0, 5, 4, 3]);
    const turned = (await imageRotate.run({ image: counting(), rotation: '90 degrees' }, ctx())).IMAGE;
    // 0 1 2 / 3 4 5 turned clockwise: 3 0 / 4 1 / 5 2
    expect(turned.shape).toEqual([1, 3, 2, 3]);
    expect(reds(turned)).toEqual([3, 0, 4, 1, 5, 2]);
    expect(reds((await imageRotate.run({ image: counting(), rotation: '180 degrees' }, ctx())).IMAGE)).toEqual([5, 4, 3, 2, 1, 0]);
    expect(reds((await imageRotate.run({ image: counting(), rotation: '270 degrees' }, ctx())).IMAGE)).toEqual([2, 5, 1, 4, 0, 3]);
    expect(Array.from((await imageRotate.run({ image: counting(), rotation: '90 degrees' }, ctx())).IMAGE.data.filter((_, i) => i % 3 === 1))).toEqual([30, 0, 40, 10, 50, 20]);
  });

  it('ImageBatch appends, resizing the second picture to the first', async () => {
    const out = (await imageBatch.run({ image1: counting(), image2: { data: new Float32Array(4 * 6 * 3).fill(0.5), shape: [1, 4, 6, 3] } }, ctx())).IMAGE;
    expect(out.shape).toEqual([2, 2, 3, 3]);
    expect(reds(out).slice(6)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });

  it('EmptyImage fills with 0xRRGGBB and refuses what the memory budget cannot hold', async () => {
    const out = (await emptyImage.run({ width: 2, height: 1, batch_size: 2, color: 0xff8000 }, ctx())).IMAGE;
    expect(out.shape).toEqual([2, 1, 2, 3]);
    expect(Array.from(out.data.subarray(0, 3))).toEqual([1, 128 / 255, 0].map(Math.fround));
    const small = { ...ctx(), services: { memoryBudgetBytes: 1000 } };
    await expect(async () => emptyImage.run({ width: 512, height: 512, batch_size: 1, color: 0 }, small)).rejects.toThrow(MemoryBudgetError);
  });

  it('ImageScaleBy rounds the sides; ImageScaleToTotalPixels keeps the aspect ratio near megapixels x 2^20', async () => {
    const image = { data: new Float32Array(10 * 20 * 3), shape: [1, 10, 20, 3] as const };
    expect((await imageScaleBy.run({ image, upscale_method: 'bilinear', scale_by: 1.25 }, ctx())).IMAGE.shape).toEqual([1, 12, 25, 3]); // 12.5 -> 12 (half to even)
    const out = (await imageScaleToTotalPixels.run({ image, upscale_method: 'area', megapixels: 0.01 }, ctx())).IMAGE;
    // sqrt(10485.76 / 200) = 7.24: 145 x 72
    expect(out.shape).toEqual([1, 72, 145, 3]);
  });
});
