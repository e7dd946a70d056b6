import { defineNode, int, socket } from '../schema.ts';
import { MAX_SEED } from './ksampler.ts';

/** ComfyUI's RandomNoise: starting noise from a seed, for SamplerCustomAdvanced. */
export default defineNode({
  type: 'RandomNoise',
  version: 1,
  category: 'sampling/custom_sampling/noise',
  description: 'Seeded starting noise (torch.randn of the whole latent batch from Generator().manual_seed(noise_seed)); the seed also seeds ancestral and SDE noise.',
  inputs: {
    noise_seed: int({ default: 0, min: 0, max: MAX_SEED, description: 'The seed.' }),
  },
  outputs: { NOISE: socket('NOISE') },
  run(input) {
    return { NOISE: { kind: 'random' as const, seed: input.noise_seed } };
  },
});
