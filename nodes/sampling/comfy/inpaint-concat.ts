// What an inpainting UNet (SD 1.x inpainting: 9 input channels) reads beside the noisy latent, as ComfyUI's
// BaseModel.concat_cond with concat_keys ("mask", "masked_image"): the UNet input is
//   [ c_in * x (C channels), mask (1), masked picture's latent (C) ]
// where mask = the conditioning's concat mask (InpaintModelConditioning) or else the latent's noise mask, resized
// bilinearly (center crop) to the latent and rounded; masked latent = the conditioning's concat latent or else the
// input latent itself (VAEEncodeForInpaint's, which is the masked picture), resized likewise; both repeated to the
// batch. Without any mask ComfyUI feeds a blank picture; latentflow asks for a mask instead.

import { maskPlanes, repeatToBatch } from '../../image/convert.ts';
import { commonUpscale, roundHalfEven } from '../../image/resize.ts';
import type { LatentValue } from '../../socket-values.ts';
import type { LatentShape } from '../sample.ts';
import type { Conditioning } from './conditioning.ts';
import type { UNetCall } from './guidance.ts';

/** The extra input channels [B, 1 + C, H, W] for a latent of `shape`. */
export function inpaintConcat(latent: LatentValue, positive: Conditioning): Float32Array {
  const [b, c, h, w] = latent.shape;
  const given = positive.find((entry) => entry.concat)?.concat;
  const maskValue = given ? { data: given.mask, shape: given.maskShape } : latent.noiseMask;
  if (!maskValue) {
    throw new Error('this is an inpainting model: it needs a mask; encode the picture with VAEEncodeForInpaint or InpaintModelConditioning (or set one with SetLatentNoiseMask).');
  }
  const mp = maskPlanes(maskValue);
  const resized = mp.h === h && mp.w === w ? mp : commonUpscale(mp, 1, w, h, 'bilinear', 'center');
  const mask = repeatToBatch(resized.data.map(roundHalfEven), h * w, b);
  let image = latent.samples;
  if (given) {
    const [gb, gc, gh, gw] = given.latentShape;
    if (gc !== c) throw new Error(`the inpainting conditioning's latent has ${gc} channels and the latent ${c}; use the same VAE for both.`);
    image = gh === h && gw === w ? given.latent : commonUpscale({ data: given.latent, n: gb * gc, h: gh, w: gw }, gc, w, h, 'bilinear', 'center').data;
    image = repeatToBatch(image, c * h * w, b);
  }
  const out = new Float32Array(b * (1 + c) * h * w);
  for (let n = 0; n < b; n++) {
    out.set(mask.subarray(n * h * w, (n + 1) * h * w), n * (1 + c) * h * w);
    out.set(image.subarray(n * c * h * w, (n + 1) * c * h * w), (n * (1 + c) + 1) * h * w);
  }
  return out;
}

/** The UNet call with the concat channels appended to each item (item n of a call is batch entry n % B). */
export function withInpaintConcat(unet: UNetCall, concat: Float32Array, shape: LatentShape): UNetCall {
  const [b, c, h, w] = shape;
  const extra = concat.length / (b * h * w);
  return (x, callShape, timestep, context, added, controls) => {
    const [n, cc, ch, cw] = callShape;
    if (ch !== h || cw !== w) throw new Error('area conditioning (ConditioningSetArea) with an inpainting model is not supported; drop the area or use a standard model.');
    const plane = h * w;
    const input = new Float32Array(n * (cc + extra) * plane);
    for (let i = 0; i < n; i++) {
      input.set(x.subarray(i * cc * plane, (i + 1) * cc * plane), i * (cc + extra) * plane);
      input.set(concat.subarray((i % b) * extra * plane, ((i % b) + 1) * extra * plane), (i * (cc + extra) + cc) * plane);
    }
    return unet(input, [n, cc + extra, h, w], timestep, context, added, controls); // a ControlNet reads the first cc channels
  };
}
