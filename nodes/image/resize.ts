/**
 * Resizing planes (ComfyUI's comfy.utils.common_upscale): `planes` is [N, H, W] float (an IMAGE's channels
 * moved first, a latent's [B*C, H, W], a MASK), resized separably as torch.nn.functional.interpolate does:
 *   nearest-exact  src = min(floor((dst + 0.5) * in / out), in - 1)
 *   bilinear       src = max((dst + 0.5) * in / out - 0.5, 0), align_corners=False, no antialias
 *   bicubic        src = (dst + 0.5) * in / out - 0.5, Keys cubic a = -0.75, taps clamped to the border
 *   area           adaptive_avg_pool2d: mean of [floor(dst * in / out), ceil((dst + 1) * in / out))
 *   lanczos        PIL's Image.LANCZOS on 8-bit pictures (ComfyUI converts to uint8 and back): support
 *                  3 * max(in / out, 1), each tap normalised, rounded to 8 bits after each pass
 * bislerp (latents only) is in bislerp.ts. Crop "center" first cuts the input to the output's aspect ratio.
 */
import { bislerp } from './bislerp.ts';

export const IMAGE_UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'] as const;
export const LATENT_UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'bislerp'] as const;
export type UpscaleMethod = (typeof IMAGE_UPSCALE_METHODS)[number] | (typeof LATENT_UPSCALE_METHODS)[number];
export const CROP_METHODS = ['disabled', 'center'] as const;
export type CropMethod = (typeof CROP_METHODS)[number];

/** Planes [N, H, W] with their sizes. */
export interface Planes {
  data: Float32Array;
  n: number;
  h: number;
  w: number;
}

/** One axis of a separable resize: for each output index, source indices and weights. */
interface Taps {
  index: Int32Array[];
  weight: Float64Array[];
}

function nearestExactTaps(inSize: number, outSize: number): Taps {
  const scale = Math.fround(inSize / outSize);
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    index.push(Int32Array.of(Math.min(Math.floor(Math.fround((o + 0.5) * scale)), inSize - 1)));
    weight.push(Float64Array.of(1));
  }
  return { index, weight };
}

function bilinearTaps(inSize: number, outSize: number): Taps {
  const scale = Math.fround(inSize / outSize);
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const src = Math.max(Math.fround(Math.fround(scale * (o + 0.5)) - 0.5), 0);
    const i0 = Math.floor(src);
    const i1 = i0 < inSize - 1 ? i0 + 1 : i0;
    const l1 = Math.fround(src - i0);
    index.push(Int32Array.of(i0, i1));
    weight.push(Float64Array.of(1 - l1, l1));
  }
  return { index, weight };
}

function cubic(x: number, a: number): number {
  const t = Math.abs(x);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

function bicubicTaps(inSize: number, outSize: number): Taps {
  const scale = Math.fround(inSize / outSize);
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const src = Math.fround(Math.fround(scale * (o + 0.5)) - 0.5);
    const i0 = Math.floor(src);
    const t = Math.fround(src - i0);
    const idx = new Int32Array(4);
    const w = new Float64Array(4);
    for (let k = 0; k < 4; k++) {
      idx[k] = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
      w[k] = cubic(t + 1 - k, -0.75);
    }
    index.push(idx);
    weight.push(w);
  }
  return { index, weight };
}

function areaTaps(inSize: number, outSize: number): Taps {
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const start = Math.floor((o * inSize) / outSize);
    const end = Math.ceil(((o + 1) * inSize) / outSize);
    const idx = new Int32Array(end - start);
    for (let k = 0; k < idx.length; k++) idx[k] = start + k;
    index.push(idx);
    weight.push(new Float64Array(idx.length).fill(1 / idx.length));
  }
  return { index, weight };
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** PIL's precompute_coeffs for its LANCZOS filter (support 3), with the scale-dependent widening. */
function lanczosTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 3 * filterScale;
  const index: Int32Array[] = [];
  const weight: Float64Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const idx = new Int32Array(xmax - xmin);
    const w = new Float64Array(xmax - xmin);
    let total = 0;
    for (let k = 0; k < idx.length; k++) {
      const x = (k + xmin - center + 0.5) / filterScale;
      const v = x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
      idx[k] = xmin + k;
      w[k] = v;
      total += v;
    }
    if (total !== 0) for (let k = 0; k < w.length; k++) w[k] /= total;
    index.push(idx);
    weight.push(w);
  }
  return { index, weight };
}

/** PIL's 8-bit resampling: weights in fixed point (22 bits), the sum rounded and clipped to 0..255. */
const PRECISION_BITS = 32 - 8 - 2;
function fixedPoint(taps: Taps): Taps {
  return { index: taps.index, weight: taps.weight.map((w) => w.map((v) => Math.trunc(v < 0 ? v * (1 << PRECISION_BITS) - 0.5 : v * (1 << PRECISION_BITS) + 0.5))) };
}
function roundFixed(sum: number): number {
  const v = Math.floor((sum + (1 << (PRECISION_BITS - 1))) / (1 << PRECISION_BITS));
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function tapsFor(method: Exclude<UpscaleMethod, 'bislerp'>, inSize: number, outSize: number): Taps {
  switch (method) {
    case 'nearest-exact':
      return nearestExactTaps(inSize, outSize);
    case 'bilinear':
      return bilinearTaps(inSize, outSize);
    case 'bicubic':
      return bicubicTaps(inSize, outSize);
    case 'area':
      return areaTaps(inSize, outSize);
    case 'lanczos':
      return fixedPoint(lanczosTaps(inSize, outSize));
  }
}

/** Resizes along rows (`axis` 'w') or columns ('h'); `round8` for PIL's 8-bit passes. */
function pass(src: Planes, taps: Taps, axis: 'h' | 'w', outSize: number, round8: boolean): Planes {
  const { n, h, w } = src;
  const oh = axis === 'h' ? outSize : h;
  const ow = axis === 'w' ? outSize : w;
  const out = new Float32Array(n * oh * ow);
  for (let p = 0; p < n; p++) {
    const sBase = p * h * w;
    const dBase = p * oh * ow;
    for (let y = 0; y < oh; y++)
      for (let x = 0; x < ow; x++) {
        const o = axis === 'w' ? x : y;
        const idx = taps.index[o];
        const wt = taps.weight[o];
        let sum = 0;
        for (let k = 0; k < idx.length; k++) sum += wt[k] * src.data[sBase + (axis === 'w' ? y * w + idx[k] : idx[k] * w + x)];
        out[dBase + y * ow + x] = round8 ? roundFixed(sum) : sum;
      }
  }
  return { data: out, n, h: oh, w: ow };
}

/** Resizes [N, H, W] planes to [N, height, width] with one of torch's / PIL's filters. */
export function resizePlanes(src: Planes, width: number, height: number, method: Exclude<UpscaleMethod, 'bislerp'>): Planes {
  if (method === 'lanczos') {
    // ComfyUI: clamp(255 * x, 0, 255) to uint8 (truncating), PIL LANCZOS, then / 255.
    const bytes = new Float32Array(src.data.length);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.trunc(Math.min(Math.max(src.data[i] * 255, 0), 255));
    let p: Planes = { ...src, data: bytes };
    // PIL resizes horizontally first when it needs both passes.
    if (width !== src.w) p = pass(p, tapsFor('lanczos', src.w, width), 'w', width, true);
    if (height !== src.h) p = pass(p, tapsFor('lanczos', src.h, height), 'h', height, true);
    const out = new Float32Array(p.data.length);
    for (let i = 0; i < out.length; i++) out[i] = p.data[i] / 255;
    return { ...p, data: out };
  }
  if (width === src.w && height === src.h) return { ...src, data: src.data.slice() };
  const rows = pass(src, tapsFor(method, src.w, width), 'w', width, false);
  return pass(rows, tapsFor(method, src.h, height), 'h', height, false);
}

/** Python's round(): halves to even (ComfyUI's sizes are computed with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** common_upscale's center crop: the input cut to the output's aspect ratio (python round for the offsets). */
export function centerCrop(src: Planes, width: number, height: number): Planes {
  const oldAspect = src.w / src.h;
  const newAspect = width / height;
  let x = 0;
  let y = 0;
  if (oldAspect > newAspect) x = roundHalfEven((src.w - src.w * (newAspect / oldAspect)) / 2);
  else if (oldAspect < newAspect) y = roundHalfEven((src.h - src.h * (oldAspect / newAspect)) / 2);
  return cropPlanes(src, x, y, src.w - 2 * x, src.h - 2 * y);
}

/** planes[:, y:y+h, x:x+w] (in bounds). */
export function cropPlanes(src: Planes, x: number, y: number, w: number, h: number): Planes {
  const out = new Float32Array(src.n * h * w);
  for (let p = 0; p < src.n; p++)
    for (let r = 0; r < h; r++) {
      const from = p * src.h * src.w + (y + r) * src.w + x;
      out.set(src.data.subarray(from, from + w), (p * h + r) * w);
    }
  return { data: out, n: src.n, h, w };
}

/**
 * ComfyUI's common_upscale on [B, C, H, W] data (`channels` planes per item): crop, then resize (bislerp
 * interpolates the C channels of each pixel together, the others each plane alone).
 */
export function commonUpscale(src: Planes, channels: number, width: number, height: number, method: UpscaleMethod, crop: CropMethod): Planes {
  if (width < 1 || height < 1) throw new Error(`cannot resize to ${width}x${height}: both sides must be at least 1.`);
  const cropped = crop === 'center' ? centerCrop(src, width, height) : src;
  if (method === 'bislerp') return bislerp(cropped, channels, width, height);
  return resizePlanes(cropped, width, height, method);
}
