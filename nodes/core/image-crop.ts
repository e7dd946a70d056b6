import { cropPlanes } from '../image/resize.ts';
import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's ImageCrop: image[:, y:y+height, x:x+width], x and y kept inside the picture, the size cut at its edges. */
export default defineNode({
  type: 'ImageCrop',
  version: 1,
  category: 'image/transform',
  description: 'Cuts a width x height rectangle at (x, y) out of a picture (cut short at its right and bottom edges).',
  inputs: {
    image: socket('IMAGE'),
    width: int({ default: 512, min: 1, max: 16384, step: 1 }),
    height: int({ default: 512, min: 1, max: 16384, step: 1 }),
    x: int({ default: 0, min: 0, max: 16384, step: 1 }),
    y: int({ default: 0, min: 0, max: 16384, step: 1 }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    const [, h, w] = input.image.shape;
    const x = Math.min(input.x, w - 1);
    const y = Math.min(input.y, h - 1);
    const cw = Math.min(input.width, w - x);
    const ch = Math.min(input.height, h - y);
    return { IMAGE: planesToImage(cropPlanes(imageToPlanes(input.image), x, y, cw, ch)) };
  },
});
