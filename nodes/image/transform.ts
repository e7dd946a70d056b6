/**
 * Flips and quarter turns of planes [N, H, W], shared by the image and latent nodes (ComfyUI's ImageFlip /
 * LatentFlip: torch.flip; ImageRotate / LatentRotate: torch.rot90 from width towards height, i.e. clockwise).
 */
import type { Planes } from './resize.ts';

export const FLIP_METHODS = ['x-axis: vertically', 'y-axis: horizontally'] as const;
export type FlipMethod = (typeof FLIP_METHODS)[number];
export const ROTATIONS = ['none', '90 degrees', '180 degrees', '270 degrees'] as const;
export type Rotation = (typeof ROTATIONS)[number];

/** "x-axis: vertically" swaps top and bottom; "y-axis: horizontally" left and right. */
export function flipPlanes(src: Planes, method: FlipMethod): Planes {
  const { n, h, w } = src;
  const out = new Float32Array(src.data.length);
  const vertical = method === 'x-axis: vertically';
  for (let p = 0; p < n; p++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) out[(p * h + y) * w + x] = src.data[(p * h + (vertical ? h - 1 - y : y)) * w + (vertical ? x : w - 1 - x)];
  return { ...src, data: out };
}

/** Clockwise quarter turns: out[y][x] of a 90-degree turn is in[H - 1 - x][y]. */
export function rotatePlanes(src: Planes, rotation: Rotation): Planes {
  const turns = ROTATIONS.indexOf(rotation);
  let cur = src;
  for (let t = 0; t < turns; t++) {
    const { n, h, w } = cur;
    const out = new Float32Array(cur.data.length);
    for (let p = 0; p < n; p++)
      for (let y = 0; y < w; y++) for (let x = 0; x < h; x++) out[(p * w + y) * h + x] = cur.data[(p * h + (h - 1 - x)) * w + y];
    cur = { data: out, n, h: w, w: h };
  }
  return turns === 0 ? { ...src, data: src.data.slice() } : cur;
}
