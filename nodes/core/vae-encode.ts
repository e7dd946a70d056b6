import { defineNode, socket } from '../schema.ts';
import { encodePixels } from '../vae/encode.ts';

export default defineNode({
  type: 'VAEEncode',
  version: 1,
  category: 'latent',
  displayName: 'VAE Encode',
  description: 'Turns a picture into a latent with the VAE encoder (the posterior mean, times the scaling factor; a TAESD gives its latent directly). Sides that are not multiples of 8 are cut to the centre part, as ComfyUI does.',
  inputs: { pixels: socket('IMAGE'), vae: socket('VAE') },
  outputs: { LATENT: socket('LATENT') },
  async run(input, ctx) {
    return { LATENT: await encodePixels(input.vae, input.pixels, ctx) };
  },
});
