import { latentPlanes } from '../image/convert.ts';
import { ROTATIONS, rotatePlanes } from '../image/transform.ts';
import { choice, defineNode, socket } from '../schema.ts';

/** ComfyUI's LatentRotate: clockwise quarter turns. */
export default defineNode({
  type: 'LatentRotate',
  version: 1,
  category: 'latent/transform',
  description: 'Rotates the latent clockwise by 90, 180 or 270 degrees.',
  inputs: { samples: socket('LATENT'), rotation: choice(ROTATIONS, { default: 'none' }) },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    const [b, c] = input.samples.shape;
    const out = rotatePlanes(latentPlanes(input.samples), input.rotation);
    return { LATENT: { ...input.samples, samples: out.data, shape: [b, c, out.h, out.w] as const } };
  },
});
