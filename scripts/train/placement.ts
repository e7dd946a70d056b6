/**
 * Where a picture's shape is, for the ControlNet demo (models/controlnet/README.md, workflows/controlnet.json):
 * the shape's mask (pixels whose colour is far from the background, the mean of the picture's 2-pixel border),
 * the square an edge map outlines (the bounding box of its edge pixels, filled), centroids and IoU.
 * Pictures are interleaved 8-bit RGB(A) rows (decodePng's data).
 */

import { canny } from '../../nodes/image/canny.ts';

export interface Picture {
  data: ArrayLike<number>;
  width: number;
  height: number;
  channels: number;
}

/** 1 where the colour is more than `distance` (Euclidean, 0..255 RGB) from the border's mean colour. */
export function shapeMask(p: Picture, distance = 100): Uint8Array {
  const { data, width: w, height: h, channels: c } = p;
  const bg = [0, 0, 0];
  let n = 0;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (x >= 2 && y >= 2 && x < w - 2 && y < h - 2) continue;
      for (let k = 0; k < 3; k++) bg[k] += data[(y * w + x) * c + k];
      n++;
    }
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) mask[i] = Math.hypot(data[i * c] - bg[0] / n, data[i * c + 1] - bg[1] / n, data[i * c + 2] - bg[2] / n) > distance ? 1 : 0;
  return mask;
}

/** The filled bounding box of an edge map's edge pixels (value > 0.5 in the first channel of [H, W, C] floats). */
export function outlinedBox(edges: ArrayLike<number>, width: number, height: number, channels: number): Uint8Array {
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (edges[(y * width + x) * channels] > 0.5) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  const mask = new Uint8Array(width * height);
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) mask[y * width + x] = 1;
  return mask;
}

/** Centre of mass of a mask (pixel centres at x + 0.5); [NaN, NaN] when empty. */
export function centroid(mask: Uint8Array, width: number): [number, number] {
  let sx = 0, sy = 0, n = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      sx += (i % width) + 0.5;
      sy += Math.floor(i / width) + 0.5;
      n++;
    }
  return [sx / n, sy / n];
}

/** Intersection over union of two masks of the same size. */
export function iou(a: Uint8Array, b: Uint8Array): number {
  let both = 0, either = 0;
  for (let i = 0; i < a.length; i++) {
    both += a[i] & b[i];
    either += a[i] | b[i];
  }
  return either ? both / either : 0;
}

/** Mean RGB of the pixels a mask picks. */
export function meanColourIn(p: Picture, mask: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i]) {
      for (let k = 0; k < 3; k++) sum[k] += p.data[i * p.channels + k];
      n++;
    }
  return sum.map((v) => v / n) as [number, number, number];
}

/** The square the Canny node's edge map of `p` (thresholds low, high) outlines: outlinedBox of canny(p). */
export function cannyBox(p: Picture, low = 0.4, high = 0.8): Uint8Array {
  const rgb = new Float32Array(p.width * p.height * 3);
  for (let i = 0; i < p.width * p.height; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = p.data[i * p.channels + Math.min(k, p.channels - 1)] / 255;
  const edges = canny({ data: rgb, shape: [1, p.height, p.width, 3] }, low, high);
  return outlinedBox(edges.data, p.width, p.height, 3);
}
