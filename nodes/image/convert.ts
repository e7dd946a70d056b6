/**
 * Layout conversions between the VAE's pictures ([B, 3, H, W] in [-1, 1], channels first) and
 * ComfyUI's IMAGE ([B, H, W, 3] in [0, 1], channels last), 8-bit RGB for PNG files, and the planes
 * [N, H, W] the resize, composite and filter code works on.
 */

import type { ImageValue, LatentValue, MaskValue } from '../socket-values.ts';
import type { Planes } from './resize.ts';

/** VAE output [B, 3, H, W] in [-1, 1] -> IMAGE data [B, H, W, 3] in [0, 1] (clamped, as diffusers' postprocess). */
export function vaeToImage(x: Float32Array, batch: number, height: number, width: number): Float32Array {
  const out = new Float32Array(batch * height * width * 3);
  const plane = height * width;
  for (let b = 0; b < batch; b++)
    for (let c = 0; c < 3; c++) {
      const src = (b * 3 + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = x[src + i] / 2 + 0.5;
        out[(b * plane + i) * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    }
  return out;
}

/** IMAGE data [B, H, W, 3] in [0, 1] -> VAE input [B, 3, H, W] in [-1, 1]. */
export function imageToVae(image: Float32Array, batch: number, height: number, width: number): Float32Array {
  const out = new Float32Array(batch * 3 * height * width);
  const plane = height * width;
  for (let b = 0; b < batch; b++)
    for (let i = 0; i < plane; i++)
      for (let c = 0; c < 3; c++) out[(b * 3 + c) * plane + i] = image[(b * plane + i) * 3 + c] * 2 - 1;
  return out;
}

/** One picture of an IMAGE batch as 8-bit RGB, rounded as diffusers' numpy_to_pil: round(v * 255). */
export function imageToRgb8(image: Float32Array, index: number, height: number, width: number): Uint8Array {
  const n = height * width * 3;
  const out = new Uint8Array(n);
  const base = index * n;
  for (let i = 0; i < n; i++) {
    const v = Math.round(image[base + i] * 255);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}

/** 8-bit pixels (1-4 channels) -> IMAGE data [1, H, W, 3] in [0, 1]; gray is replicated, alpha dropped. */
export function rgb8ToImage(data: Uint8Array, channels: number, height: number, width: number): Float32Array {
  const out = new Float32Array(height * width * 3);
  for (let i = 0; i < height * width; i++) {
    const p = i * channels;
    const gray = channels < 3;
    out[i * 3] = data[p] / 255;
    out[i * 3 + 1] = data[gray ? p : p + 1] / 255;
    out[i * 3 + 2] = data[gray ? p : p + 2] / 255;
  }
  return out;
}

/** IMAGE [B, H, W, C] -> planes [B*C, H, W] (channels first, as torch's movedim(-1, 1)). */
export function imageToPlanes(image: { data: Float32Array; shape: readonly [number, number, number, number] }): Planes {
  const [b, h, w, c] = image.shape;
  const out = new Float32Array(image.data.length);
  const plane = h * w;
  for (let n = 0; n < b; n++)
    for (let i = 0; i < plane; i++) for (let k = 0; k < c; k++) out[(n * c + k) * plane + i] = image.data[(n * plane + i) * c + k];
  return { data: out, n: b * c, h, w };
}

/** Planes [B*3, H, W] -> IMAGE [B, H, W, 3]. */
export function planesToImage(planes: Planes): ImageValue {
  const { h, w } = planes;
  const b = planes.n / 3;
  const plane = h * w;
  const out = new Float32Array(planes.data.length);
  for (let n = 0; n < b; n++)
    for (let i = 0; i < plane; i++) for (let k = 0; k < 3; k++) out[(n * plane + i) * 3 + k] = planes.data[(n * 3 + k) * plane + i];
  return { data: out, shape: [b, h, w, 3] };
}

/** A LATENT's samples as planes [B*C, H, W] (no copy). */
export function latentPlanes(latent: LatentValue): Planes {
  const [b, c, h, w] = latent.shape;
  return { data: latent.samples, n: b * c, h, w };
}

/** A MASK as planes [B, H, W] (no copy). */
export function maskPlanes(mask: MaskValue): Planes {
  const [b, h, w] = mask.shape;
  return { data: mask.data, n: b, h, w };
}

/** Planes [B, H, W] as a MASK. */
export function planesToMask(planes: Planes): MaskValue {
  return { data: planes.data, shape: [planes.n, planes.h, planes.w] };
}

/**
 * ComfyUI's repeat_to_batch_size on [B, ...] items of `itemSize` values: cut to `batch` items, or repeated
 * (whole batches, then the first ones) up to it.
 */
export function repeatToBatch(data: Float32Array, itemSize: number, batch: number): Float32Array {
  const have = data.length / itemSize;
  if (have === batch) return data;
  const out = new Float32Array(batch * itemSize);
  for (let i = 0; i < batch; i++) out.set(data.subarray((i % have) * itemSize, (i % have + 1) * itemSize), i * itemSize);
  return out;
}
