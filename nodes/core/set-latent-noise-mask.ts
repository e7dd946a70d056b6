import { defineNode, socket } from '../schema.ts';

/**
 * ComfyUI's SetLatentNoiseMask: the sampler changes only where the mask is 1 (blending each step: the model sees
 * x * m + (latent + noise * sigma) * (1 - m), and its prediction is kept only where m is 1).
 */
export default defineNode({
  type: 'SetLatentNoiseMask',
  version: 1,
  category: 'latent/inpaint',
  displayName: 'Set Latent Noise Mask',
  description: 'Limits sampling to the masked region (mask 1: repaint, 0: keep the input latent).',
  inputs: { samples: socket('LATENT'), mask: socket('MASK') },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    return { LATENT: { ...input.samples, noiseMask: input.mask } };
  },
});
