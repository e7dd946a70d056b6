/**
 * ImageBlur and ImageSharpen's filtering (comfy_extras/nodes_post_processing.py): a (2r + 1)^2 Gaussian
 * kernel over linspace(-1, 1) coordinates, exp(-d^2 / (2 sigma^2)) normalised to sum 1, applied per channel
 * to the picture reflect-padded by r (torch's 'reflect': the edge pixel is not repeated).
 */
import type { Planes } from './resize.ts';

/** ComfyUI's gaussian_kernel(size, sigma): [size, size], summing to 1. */
export function gaussianKernel(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size * size);
  const coord = (i: number) => (size === 1 ? -1 : -1 + (2 * i) / (size - 1));
  let total = 0;
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) {
      const d2 = coord(i) ** 2 + coord(j) ** 2;
      k[i * size + j] = Math.exp(-d2 / (2 * sigma * sigma));
      total += k[i * size + j];
    }
  for (let i = 0; i < k.length; i++) k[i] /= total;
  return k;
}

function reflect(i: number, n: number): number {
  if (i < 0) return -i;
  if (i >= n) return 2 * (n - 1) - i;
  return i;
}

/** Correlates each plane with a (2r + 1)^2 kernel over the reflect-padded plane (r < both sides). */
export function convolveReflect(src: Planes, kernel: Float64Array, radius: number): Planes {
  const { n, h, w } = src;
  if (radius >= h || radius >= w) throw new Error(`the radius ${radius} needs a picture larger than ${radius} pixels on both sides (this one is ${w}x${h}); use a smaller radius.`);
  const size = 2 * radius + 1;
  const out = new Float32Array(src.data.length);
  for (let p = 0; p < n; p++) {
    const base = p * h * w;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let sum = 0;
        for (let i = 0; i < size; i++) {
          const row = base + reflect(y + i - radius, h) * w;
          for (let j = 0; j < size; j++) sum += kernel[i * size + j] * src.data[row + reflect(x + j - radius, w)];
        }
        out[base + y * w + x] = sum;
      }
  }
  return { data: out, n, h, w };
}
