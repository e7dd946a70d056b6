import { prepareInpaint } from '../image/inpaint.ts';
import { roundHalfEven } from '../image/resize.ts';
import { defineNode, int, socket } from '../schema.ts';
import { encodePixels, vaeFactor } from '../vae/encode.ts';

/**
 * ComfyUI's VAEEncodeForInpaint: encodes the picture with the masked part grey, and sets the noise mask to the
 * mask rounded and grown by grow_mask_by pixels (any 1 in a grow x grow window, centred down-right for even
 * sizes), so the repainted region blends in. Meant for inpainting models at denoise 1.
 */
export default defineNode({
  type: 'VAEEncodeForInpaint',
  version: 1,
  category: 'latent/inpaint',
  displayName: 'VAE Encode (for Inpainting)',
  description: 'Encodes a picture for inpainting: masked pixels become grey and the latent carries the (grown) mask as its noise mask.',
  inputs: {
    pixels: socket('IMAGE'),
    vae: socket('VAE'),
    mask: socket('MASK'),
    grow_mask_by: int({ default: 6, min: 0, max: 64, step: 1 }),
  },
  outputs: { LATENT: socket('LATENT') },
  async run(input, ctx) {
    const prepared = prepareInpaint(input.pixels, input.mask, vaeFactor(input.vae));
    const latent = await encodePixels(input.vae, prepared.masked, ctx);
    const { n, h, w } = prepared.mask;
    const rounded = prepared.mask.data.map(roundHalfEven);
    const g = input.grow_mask_by;
    let grown = rounded;
    if (g > 0) {
      const pad = Math.ceil((g - 1) / 2);
      grown = new Float32Array(rounded.length);
      for (let p = 0; p < n; p++)
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            let any = 0;
            for (let dy = 0; dy < g && !any; dy++) {
              const yy = y - pad + dy;
              if (yy < 0 || yy >= h) continue;
              for (let dx = 0; dx < g; dx++) {
                const xx = x - pad + dx;
                if (xx >= 0 && xx < w && rounded[(p * h + yy) * w + xx] > 0) {
                  any = 1;
                  break;
                }
              }
            }
            grown[(p * h + y) * w + x] = any;
          }
    }
    return { LATENT: { ...latent, noiseMask: { data: grown, shape: [n, h, w] as const } } };
  },
});
