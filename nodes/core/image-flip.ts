import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { FLIP_METHODS, flipPlanes } from '../image/transform.ts';
import { choice, defineNode, socket } from '../schema.ts';

/** ComfyUI's ImageFlip: "x-axis: vertically" mirrors top and bottom, "y-axis: horizontally" left and right. */
export default defineNode({
  type: 'ImageFlip',
  version: 1,
  category: 'image/transform',
  description: 'Mirrors the picture vertically (x-axis) or horizontally (y-axis).',
  inputs: { image: socket('IMAGE'), flip_method: choice(FLIP_METHODS, { default: 'x-axis: vertically' }) },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    return { IMAGE: planesToImage(flipPlanes(imageToPlanes(input.image), input.flip_method)) };
  },
});
