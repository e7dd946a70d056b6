import { defineNode, boolean, int, socket } from '../schema.ts';

/**
 * ComfyUI's GrowMask: |expand| grey dilations (expand > 0) or erosions (< 0) with a 3x3 cross (tapered_corners)
 * or square footprint, edges extended (scipy's reflect mode gives the same for a 3x3 footprint).
 */
export default defineNode({
  type: 'GrowMask',
  version: 1,
  category: 'mask',
  description: 'Grows (expand > 0) or shrinks (< 0) the mask by whole pixels; tapered_corners grows diamonds instead of squares.',
  inputs: {
    mask: socket('MASK'),
    expand: int({ default: 0, min: -16384, max: 16384, step: 1 }),
    tapered_corners: boolean({ default: true }),
  },
  outputs: { MASK: socket('MASK') },
  run(input, ctx) {
    const [b, h, w] = input.mask.shape;
    const grow = input.expand > 0;
    let cur = input.mask.data.slice();
    for (let step = 0; step < Math.abs(input.expand); step++) {
      ctx.signal.throwIfAborted();
      const next = new Float32Array(cur.length);
      for (let n = 0; n < b; n++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            let v = grow ? -Infinity : Infinity;
            for (let dy = -1; dy <= 1; dy++)
              for (let dx = -1; dx <= 1; dx++) {
                if (input.tapered_corners && dx !== 0 && dy !== 0) continue;
                const yy = Math.min(Math.max(y + dy, 0), h - 1);
                const xx = Math.min(Math.max(x + dx, 0), w - 1);
                const s = cur[(n * h + yy) * w + xx];
                v = grow ? Math.max(v, s) : Math.min(v, s);
              }
            next[(n * h + y) * w + x] = v;
          }
      cur = next;
    }
    return { MASK: { data: cur, shape: input.mask.shape } };
  },
});
