import { defineNode, int, socket } from '../schema.ts';

/**
 * ComfyUI's FeatherMask: the first left/top columns/rows fade in linearly ((i + 1) / n); right and bottom as
 * ComfyUI indexes them (output[..., -i]: i = 0 is the first column/row, then the last, the one before, ...).
 */
export default defineNode({
  type: 'FeatherMask',
  version: 1,
  category: 'mask',
  description: 'Fades the mask towards its edges over the given numbers of pixels.',
  inputs: {
    mask: socket('MASK'),
    left: int({ default: 0, min: 0, max: 16384, step: 1 }),
    top: int({ default: 0, min: 0, max: 16384, step: 1 }),
    right: int({ default: 0, min: 0, max: 16384, step: 1 }),
    bottom: int({ default: 0, min: 0, max: 16384, step: 1 }),
  },
  outputs: { MASK: socket('MASK') },
  run(input) {
    const [b, h, w] = input.mask.shape;
    const out = input.mask.data.slice();
    const left = Math.min(input.left, w);
    const right = Math.min(input.right, w);
    const top = Math.min(input.top, h);
    const bottom = Math.min(input.bottom, h);
    const column = (x: number, rate: number) => {
      for (let n = 0; n < b; n++) for (let y = 0; y < h; y++) out[(n * h + y) * w + x] *= rate;
    };
    const row = (y: number, rate: number) => {
      for (let n = 0; n < b; n++) for (let x = 0; x < w; x++) out[(n * h + y) * w + x] *= rate;
    };
    for (let i = 0; i < left; i++) column(i, (i + 1) / left);
    for (let i = 0; i < right; i++) column((w - i) % w, (i + 1) / right);
    for (let i = 0; i < top; i++) row(i, (i + 1) / top);
    for (let i = 0; i < bottom; i++) row((h - i) % h, (i + 1) / bottom);
    return { MASK: { data: out, shape: input.mask.shape } };
  },
});
