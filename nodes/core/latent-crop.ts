import { cropPlanes } from '../image/resize.ts';
import { latentPlanes } from '../image/convert.ts';
import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's LatentCrop: a width x height pixel rectangle at (x, y), x and y kept 8 cells (64 pixels) from the far edges. */
export default defineNode({
  type: 'LatentCrop',
  version: 1,
  category: 'latent/transform',
  description: 'Cuts a rectangle (in pixels, multiples of 8) out of a latent.',
  inputs: {
    samples: socket('LATENT'),
    width: int({ default: 512, min: 64, max: 16384, step: 8 }),
    height: int({ default: 512, min: 64, max: 16384, step: 8 }),
    x: int({ default: 0, min: 0, max: 16384, step: 8 }),
    y: int({ default: 0, min: 0, max: 16384, step: 8 }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    const [b, c, h, w] = input.samples.shape;
    const x = Math.max(0, Math.min(Math.floor(input.x / 8), w - 8));
    const y = Math.max(0, Math.min(Math.floor(input.y / 8), h - 8));
    const cw = Math.min(Math.floor(input.width / 8), w - x);
    const ch = Math.min(Math.floor(input.height / 8), h - y);
    const out = cropPlanes(latentPlanes(input.samples), x, y, cw, ch);
    return { LATENT: { ...input.samples, samples: out.data, shape: [b, c, ch, cw] as const } };
  },
});
