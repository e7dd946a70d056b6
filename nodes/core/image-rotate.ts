import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { ROTATIONS, rotatePlanes } from '../image/transform.ts';
import { choice, defineNode, socket } from '../schema.ts';

/** ComfyUI's ImageRotate: clockwise quarter turns. */
export default defineNode({
  type: 'ImageRotate',
  version: 1,
  category: 'image/transform',
  description: 'Rotates the picture clockwise by 90, 180 or 270 degrees.',
  inputs: { image: socket('IMAGE'), rotation: choice(ROTATIONS, { default: 'none' }) },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    return { IMAGE: planesToImage(rotatePlanes(imageToPlanes(input.image), input.rotation)) };
  },
});
