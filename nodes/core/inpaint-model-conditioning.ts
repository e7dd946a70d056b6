import { prepareInpaint } from '../image/inpaint.ts';
import { withValues } from '../sampling/comfy/conditioning.ts';
import { boolean, defineNode, socket } from '../schema.ts';
import { encodePixels, vaeFactor } from '../vae/encode.ts';

/**
 * ComfyUI's InpaintModelConditioning: the latent of the whole picture (with the mask as its noise mask unless
 * noise_mask is off), and both conditionings carrying the latent of the picture with the masked part grey plus the
 * mask, which an inpainting UNet (9 input channels) reads beside the noisy latent; a 4-channel model ignores them.
 */
export default defineNode({
  type: 'InpaintModelConditioning',
  version: 1,
  category: 'conditioning/inpaint',
  description: 'Prepares inpainting: the picture as a latent with the mask as its noise mask, and the masked picture for inpainting models.',
  inputs: {
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    vae: socket('VAE'),
    pixels: socket('IMAGE'),
    mask: socket('MASK'),
    noise_mask: boolean({ default: true, description: 'Also limit sampling to the mask (better for models that are not inpainting models).' }),
  },
  outputs: { positive: socket('CONDITIONING'), negative: socket('CONDITIONING'), latent: socket('LATENT') },
  async run(input, ctx) {
    const prepared = prepareInpaint(input.pixels, input.mask, vaeFactor(input.vae));
    const masked = await encodePixels(input.vae, prepared.masked, ctx);
    // ComfyUI encodes the original picture here (VAE.encode cuts it to the same window).
    const latent = await encodePixels(input.vae, prepared.pixels, ctx);
    const { n, h, w } = prepared.mask;
    const mask = { data: prepared.mask.data, shape: [n, h, w] as const };
    const concat = { latent: masked.samples, latentShape: masked.shape, mask: mask.data, maskShape: mask.shape };
    return {
      positive: withValues(input.positive, { concat }),
      negative: withValues(input.negative, { concat }),
      latent: input.noise_mask ? { ...latent, noiseMask: mask } : latent,
    };
  },
});
