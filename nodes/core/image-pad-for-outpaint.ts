import { requireFloatBudget } from '../image/budget.ts';
import { defineNode, int, socket } from '../schema.ts';

/**
 * ComfyUI's ImagePadForOutpaint: the picture on a grey (0.5) canvas grown by left/top/right/bottom, and a MASK
 * that is 1 on the new border and, inside, (f - d)^2 / f^2 within `feathering` pixels of a padded side (d: the
 * distance to it), 0 further in; no feathering unless 2 x feathering is below both sides.
 */
export default defineNode({
  type: 'ImagePadForOutpaint',
  version: 1,
  category: 'image',
  displayName: 'Pad Image for Outpainting',
  description: 'Grows the canvas for outpainting: grey borders and a mask of what to paint (feathered into the picture).',
  inputs: {
    image: socket('IMAGE'),
    left: int({ default: 0, min: 0, max: 16384, step: 8 }),
    top: int({ default: 0, min: 0, max: 16384, step: 8 }),
    right: int({ default: 0, min: 0, max: 16384, step: 8 }),
    bottom: int({ default: 0, min: 0, max: 16384, step: 8 }),
    feathering: int({ default: 40, min: 0, max: 16384, step: 1 }),
  },
  outputs: { IMAGE: socket('IMAGE'), MASK: socket('MASK') },
  run(input, ctx) {
    const { left, top, right, bottom, feathering } = input;
    const [b, h, w] = input.image.shape;
    const H = h + top + bottom;
    const W = w + left + right;
    requireFloatBudget(b * H * W * 4, `a padded ${W}x${H} picture of batch ${b}`, 'pad less', ctx.services);
    const image = new Float32Array(b * H * W * 3).fill(0.5);
    for (let n = 0; n < b; n++)
      for (let y = 0; y < h; y++) image.set(input.image.data.subarray(((n * h + y) * w) * 3, ((n * h + y + 1) * w) * 3), ((n * H + top + y) * W + left) * 3);
    const mask = new Float32Array(H * W).fill(1);
    const feather = feathering > 0 && feathering * 2 < h && feathering * 2 < w;
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let v = 0;
        if (feather) {
          const d = Math.min(top !== 0 ? i : h, bottom !== 0 ? h - i : h, left !== 0 ? j : w, right !== 0 ? w - j : w);
          if (d < feathering) v = ((feathering - d) / feathering) ** 2;
        }
        mask[(top + i) * W + left + j] = v;
      }
    return { IMAGE: { data: image, shape: [b, H, W, 3] as const }, MASK: { data: mask, shape: [1, H, W] as const } };
  },
});
