/**
 * ComfyUI's bislerp (comfy.utils.bislerp), the latent upscale that interpolates each pixel's channel vector
 * spherically: first along the width, then along the height. For each output index the two source indices and
 * the ratio come from bilinear-interpolating the index ramps 0..n-1 (left) and 1..n-1,n-1 (right) with
 * torch's align_corners=False rule; two vectors are slerped as
 *   res = (sin((1 - r) w) b1 + sin(r w) b2) / sin(w) * ((1 - r) |a| + r |b|),  w = acos(b1 . b2)
 * on the unit vectors b1, b2 of a, b, except: nearly equal directions (dot > 1 - 1e-5) give a, opposite ones
 * (dot < 1e-5 - 1) give the linear mix.
 */
import type { Planes } from './resize.ts';

const f = Math.fround;

/** Per output index: left index, right index, ratio (torch float32 arithmetic). */
function bilinearData(oldSize: number, newSize: number): { left: Int32Array; right: Int32Array; ratio: Float32Array } {
  const scale = f(oldSize / newSize);
  const left = new Int32Array(newSize);
  const right = new Int32Array(newSize);
  const ratio = new Float32Array(newSize);
  // The left ramp is 0..n-1; the right one 1..n-1 with its last value n-1 (arange + 1, last minus 1).
  const ramp = (i: number, right: boolean) => (right ? Math.min(i + 1, oldSize - 1) : i);
  for (let o = 0; o < newSize; o++) {
    const src = Math.max(f(f(scale * (o + 0.5)) - 0.5), 0);
    const i0 = Math.floor(src);
    const i1 = i0 < oldSize - 1 ? i0 + 1 : i0;
    const l1 = f(src - i0);
    const l0 = f(1 - l1);
    const lerp = (a: number, b: number) => f(f(l0 * a) + f(l1 * b));
    const c1 = lerp(ramp(i0, false), ramp(i1, false));
    ratio[o] = f(c1 - Math.floor(c1));
    left[o] = Math.trunc(c1);
    right[o] = Math.trunc(lerp(ramp(i0, true), ramp(i1, true)));
  }
  return { left, right, ratio };
}

/** Slerps channel vectors a (at `ia`) and b (at `ib`) of `src`, stride `stride`, into `out` at `io`. */
function slerpInto(src: Float32Array, ia: number, ib: number, stride: number, c: number, r: number, out: Float32Array, io: number, outStride: number): void {
  let na = 0;
  let nb = 0;
  for (let k = 0; k < c; k++) {
    na += src[ia + k * stride] ** 2;
    nb += src[ib + k * stride] ** 2;
  }
  na = f(Math.sqrt(na));
  nb = f(Math.sqrt(nb));
  let dot = 0;
  for (let k = 0; k < c; k++) {
    const ua = na === 0 ? 0 : src[ia + k * stride] / na;
    const ub = nb === 0 ? 0 : src[ib + k * stride] / nb;
    dot += ua * ub;
  }
  dot = f(dot);
  if (dot > 1 - 1e-5) {
    for (let k = 0; k < c; k++) out[io + k * outStride] = src[ia + k * stride];
    return;
  }
  if (dot < 1e-5 - 1) {
    for (let k = 0; k < c; k++) out[io + k * outStride] = src[ia + k * stride] * (1 - r) + src[ib + k * stride] * r;
    return;
  }
  const omega = Math.acos(dot);
  const so = Math.sin(omega);
  const wa = Math.sin((1 - r) * omega) / so;
  const wb = Math.sin(r * omega) / so;
  const norm = na * (1 - r) + nb * r;
  for (let k = 0; k < c; k++) {
    const ua = na === 0 ? 0 : src[ia + k * stride] / na;
    const ub = nb === 0 ? 0 : src[ib + k * stride] / nb;
    out[io + k * outStride] = (wa * ua + wb * ub) * norm;
  }
}

/** bislerp of [B*C, H, W] planes (`channels` per item) to [B*C, height, width]. */
export function bislerp(src: Planes, channels: number, width: number, height: number): Planes {
  const { n, h, w } = src;
  const batch = n / channels;
  const plane = h * w;
  // Along the width: [B, C, h, w] -> [B, C, h, width].
  const cols = bilinearData(w, width);
  const mid = new Float32Array(n * h * width);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < width; x++) {
        const base = b * channels * plane + y * w;
        slerpInto(src.data, base + cols.left[x], base + cols.right[x], plane, channels, cols.ratio[x], mid, b * channels * h * width + y * width + x, h * width);
      }
  // Along the height: [B, C, h, width] -> [B, C, height, width].
  const rows = bilinearData(h, height);
  const midPlane = h * width;
  const out = new Float32Array(n * height * width);
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const base = b * channels * midPlane + x;
        slerpInto(mid, base + rows.left[y] * width, base + rows.right[y] * width, midPlane, channels, rows.ratio[y], out, b * channels * height * width + y * width + x, height * width);
      }
  return { data: out, n, h: height, w: width };
}
