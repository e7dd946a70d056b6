import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { commonUpscale } from '../image/resize.ts';
import { defineNode, socket } from '../schema.ts';

/** ComfyUI's ImageBatch: image2 appended to image1 (resized to image1's size, bilinear, center crop, when they differ). */
export default defineNode({
  type: 'ImageBatch',
  version: 1,
  category: 'image',
  displayName: 'Batch Images',
  description: 'Joins two pictures (or batches) into one batch; the second is resized to the first when their sizes differ.',
  inputs: { image1: socket('IMAGE'), image2: socket('IMAGE') },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    const [b1, h, w] = input.image1.shape;
    let second = input.image2;
    if (second.shape[1] !== h || second.shape[2] !== w) second = planesToImage(commonUpscale(imageToPlanes(second), 3, w, h, 'bilinear', 'center'));
    const data = new Float32Array(input.image1.data.length + second.data.length);
    data.set(input.image1.data);
    data.set(second.data, input.image1.data.length);
    return { IMAGE: { data, shape: [b1 + second.shape[0], h, w, 3] as const } };
  },
});
