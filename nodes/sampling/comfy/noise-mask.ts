// ComfyUI's noise mask (SetLatentNoiseMask, VAEEncodeForInpaint): comfy/sampler_helpers.py prepare_mask and
// comfy/samplers.py KSamplerX0Inpaint.
//   denoise mask m = the mask resized to the latent's cells (bilinear), the same for every channel, repeated to
//                    the batch;
//   before each model call  x' = x * m + (latent + noise * sigma) * (1 - m)   (scale_latent_inpaint: the kept
//                           region is the input latent noised to this step's level);
//   after it                x0 = x0 * m + latent * (1 - m)
// so the unmasked region ends as the input latent and the masked one is sampled in its context.

import { maskPlanes, repeatToBatch } from '../../image/convert.ts';
import { resizePlanes } from '../../image/resize.ts';
import type { LatentShape } from '../sample.ts';
import type { MaskValue } from '../../socket-values.ts';
import type { Denoiser } from './samplers/common.ts';

/** reshape_mask: the mask at the latent's shape [B, C, H, W] (bilinear, channels repeated, batch repeated). */
export function prepareDenoiseMask(mask: MaskValue, shape: LatentShape): Float32Array {
  const [b, c, h, w] = shape;
  const resized = resizePlanes(maskPlanes(mask), w, h, 'bilinear');
  const perBatch = repeatToBatch(resized.data, h * w, b);
  const out = new Float32Array(b * c * h * w);
  for (let n = 0; n < b; n++) for (let k = 0; k < c; k++) out.set(perBatch.subarray(n * h * w, (n + 1) * h * w), (n * c + k) * h * w);
  return out;
}

/** KSamplerX0Inpaint around a denoiser: `noise` is the sampling's starting noise (unscaled). */
export function inpaintDenoiser(denoise: Denoiser, mask: Float32Array, latent: Float32Array, noise: Float32Array): Denoiser {
  return async (x, sigma) => {
    const input = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) {
      const m = mask[k];
      input[k] = x[k] * m + (latent[k] + Math.fround(noise[k] * sigma)) * (1 - m);
    }
    const x0 = await denoise(input, sigma);
    const out = new Float32Array(x0.length);
    for (let k = 0; k < x0.length; k++) out[k] = x0[k] * mask[k] + latent[k] * (1 - mask[k]);
    return out;
  };
}
