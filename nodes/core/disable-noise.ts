import { defineNode, socket } from '../schema.ts';

/** ComfyUI's DisableNoise: no starting noise (sample a latent that already holds its noise); seed 0 for the samplers' own noise. */
export default defineNode({
  type: 'DisableNoise',
  version: 1,
  category: 'sampling/custom_sampling/noise',
  description: 'No starting noise: the latent is sampled as it is (e.g. the leftover noise of an earlier pass). Ancestral and SDE samplers use seed 0.',
  inputs: {},
  outputs: { NOISE: socket('NOISE') },
  run() {
    return { NOISE: { kind: 'disabled' as const, seed: 0 as const } };
  },
});
