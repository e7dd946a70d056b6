/**
 * ComfyUI's composite (comfy_extras/nodes_mask.py), shared by ImageCompositeMasked (multiplier 1, pixels) and
 * LatentCompositeMasked (multiplier 8, latent cells): pastes `source` [B, C, h, w] into `destination`
 * [B, C, H, W] at (x, y) / multiplier, weighted by `mask` (resized bilinearly to the source, 1 = source),
 * clipped at the destination's right and bottom edges. The source (and mask) repeat to the destination's
 * batch; resize_source first scales the source to the destination's size.
 */
import type { MaskValue } from '../socket-values.ts';
import { maskPlanes, repeatToBatch } from './convert.ts';
import { type Planes, resizePlanes } from './resize.ts';

export function composite(destination: Planes, source: Planes, channels: number, x: number, y: number, mask: MaskValue | undefined, multiplier: number, resizeSource: boolean): Planes {
  const batch = destination.n / channels;
  let src = resizeSource ? resizePlanes(source, destination.w, destination.h, 'bilinear') : source;
  src = { ...src, data: repeatToBatch(src.data, channels * src.h * src.w, batch), n: batch * channels };
  const cx = Math.max(-src.w * multiplier, Math.min(x, destination.w * multiplier));
  const cy = Math.max(-src.h * multiplier, Math.min(y, destination.h * multiplier));
  const left = Math.floor(cx / multiplier);
  const top = Math.floor(cy / multiplier);
  let weights: Float32Array | null = null;
  if (mask) {
    const resized = resizePlanes(maskPlanes(mask), src.w, src.h, 'bilinear');
    weights = repeatToBatch(resized.data, src.h * src.w, batch);
  }
  const out = destination.data.slice();
  // Rows and columns of the source that land inside the destination.
  const x0 = Math.max(0, -left);
  const y0 = Math.max(0, -top);
  const x1 = Math.min(src.w, destination.w - left);
  const y1 = Math.min(src.h, destination.h - top);
  for (let b = 0; b < batch; b++)
    for (let k = 0; k < channels; k++) {
      const sBase = (b * channels + k) * src.h * src.w;
      const dBase = (b * channels + k) * destination.h * destination.w;
      for (let r = y0; r < y1; r++)
        for (let c = x0; c < x1; c++) {
          const m = weights ? weights[b * src.h * src.w + r * src.w + c] : 1;
          const d = dBase + (top + r) * destination.w + left + c;
          out[d] = m * src.data[sBase + r * src.w + c] + (1 - m) * out[d];
        }
    }
  return { ...destination, data: out };
}
