import { latentPlanes } from '../image/convert.ts';
import { FLIP_METHODS, flipPlanes } from '../image/transform.ts';
import { choice, defineNode, socket } from '../schema.ts';

/** ComfyUI's LatentFlip. */
export default defineNode({
  type: 'LatentFlip',
  version: 1,
  category: 'latent/transform',
  description: 'Mirrors the latent vertically (x-axis) or horizontally (y-axis).',
  inputs: { samples: socket('LATENT'), flip_method: choice(FLIP_METHODS, { default: 'x-axis: vertically' }) },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    return { LATENT: { ...input.samples, samples: flipPlanes(latentPlanes(input.samples), input.flip_method).data } };
  },
});
