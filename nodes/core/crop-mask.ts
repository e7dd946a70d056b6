import { cropPlanes } from '../image/resize.ts';
import { maskPlanes, planesToMask } from '../image/convert.ts';
import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's CropMask: mask[:, y:y+height, x:x+width] (cut short at the edges). */
export default defineNode({
  type: 'CropMask',
  version: 1,
  category: 'mask',
  description: 'Cuts a width x height rectangle at (x, y) out of the mask.',
  inputs: {
    mask: socket('MASK'),
    x: int({ default: 0, min: 0, max: 16384, step: 1 }),
    y: int({ default: 0, min: 0, max: 16384, step: 1 }),
    width: int({ default: 512, min: 1, max: 16384, step: 1 }),
    height: int({ default: 512, min: 1, max: 16384, step: 1 }),
  },
  outputs: { MASK: socket('MASK') },
  run(input) {
    const [, h, w] = input.mask.shape;
    if (input.x >= w || input.y >= h) throw new Error(`(${input.x}, ${input.y}) is outside the ${w}x${h} mask; lower x and y.`);
    return { MASK: planesToMask(cropPlanes(maskPlanes(input.mask), input.x, input.y, Math.min(input.width, w - input.x), Math.min(input.height, h - input.y))) };
  },
});
