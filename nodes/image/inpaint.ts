/**
 * What VAEEncodeForInpaint and InpaintModelConditioning share (ComfyUI's nodes.py): the mask resized to the
 * picture (bilinear), both cut to the VAE's multiples (the centre part), and the picture with the masked pixels
 * (mask rounded to 0/1) set to grey 0.5, which is what the model is told to repaint.
 */
import type { ImageValue, MaskValue } from '../socket-values.ts';
import { imageToPlanes, maskPlanes, planesToImage, repeatToBatch } from './convert.ts';
import { encodableWindow } from '../vae/encode.ts';
import { cropPlanes, type Planes, resizePlanes, roundHalfEven } from './resize.ts';

export interface InpaintInput {
  /** The picture cut to multiples of the VAE's factor. */
  pixels: ImageValue;
  /** The same picture with masked pixels grey. */
  masked: ImageValue;
  /** The mask at the cut picture's size, [B or 1, h, w], not rounded. */
  mask: Planes;
}

/** The picture and mask cut to multiples of `factor` (the VAE's), and the picture with the masked pixels grey. */
export function prepareInpaint(pixels: ImageValue, mask: MaskValue, factor: number): InpaintInput {
  const [b, H, W] = pixels.shape;
  const window = encodableWindow(H, W, factor);
  if (window.height === 0 || window.width === 0) throw new Error(`the picture is ${W}x${H}; it needs at least ${factor} pixels on each side.`);
  const resized = resizePlanes(maskPlanes(mask), W, H, 'bilinear');
  const cutMask = cropPlanes(resized, window.left, window.top, window.width, window.height);
  const cut = planesToImage(cropPlanes(imageToPlanes(pixels), window.left, window.top, window.width, window.height));
  const keep = repeatToBatch(cutMask.data, window.height * window.width, b);
  const masked = cut.data.slice();
  for (let i = 0; i < keep.length; i++) {
    const m = 1 - roundHalfEven(keep[i]);
    for (let c = 0; c < 3; c++) masked[i * 3 + c] = (masked[i * 3 + c] - 0.5) * m + 0.5;
  }
  return { pixels: cut, masked: { data: masked, shape: cut.shape }, mask: cutMask };
}
