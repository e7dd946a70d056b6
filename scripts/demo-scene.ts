/**
 * The demo model's kind of picture (one coloured shape on a coloured background), drawn at any size with
 * 4x4 supersampling (geometry in the demo's 64-pixel units), and a 128x128 scene's 64x64 version (the 2x2
 * means). Shared by scripts/taesd/make-data.ts (64x64), scripts/upscale/make-data.ts (128x128 training
 * pairs) and the test of the shipped upscale model (a fresh scene, seeded apart from the training data).
 */
import { shapeTest } from './train/pictures.ts';

const COLOURS: [number, number, number][] = [
  [220, 30, 30], [40, 180, 60], [40, 70, 220], [240, 220, 40], [140, 50, 180], [250, 140, 20], [245, 245, 245], [15, 15, 15],
];
export const LOW = 64;
export const HIGH = 128;
const SS = 4;

/** A linear congruential generator in [0, 1) (the training data's: reproducible without dependencies). */
export function seededRandom(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
}

/** One scene drawn at size x size (default HIGH), [3, size, size] in [-1, 1]; geometry in the demo's 64-pixel units. */
export function scene(random: () => number, size = HIGH): Float32Array {
  const pick = <T>(a: T[]) => a[Math.floor(random() * a.length)];
  const bg = pick(COLOURS);
  let fg = pick(COLOURS);
  while (fg === bg) fg = pick(COLOURS);
  const large = random() < 0.5;
  const unit = size / LOW; // pixels per demo pixel
  const r = (large ? 17 + random() * 4 : 8 + random() * 3) * unit;
  const jitter = large ? 6 : 10;
  const cx = (32 + (random() * 2 - 1) * jitter) * unit, cy = (32 + (random() * 2 - 1) * jitter) * unit;
  const shape = Math.floor(random() * 3);
  const inside = shapeTest(shape, cx, cy, r);
  const out = new Float32Array(3 * size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      let hit = 0;
      for (let sy = 0; sy < SS; sy++) for (let sx = 0; sx < SS; sx++) hit += inside(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS) ? 1 : 0;
      const a = hit / (SS * SS);
      for (let c = 0; c < 3; c++) out[c * size * size + y * size + x] = ((fg[c] * a + bg[c] * (1 - a)) / 255) * 2 - 1;
    }
  return out;
}

/** [3, HIGH, HIGH] -> [3, LOW, LOW], the mean of each 2x2 block. */
export function halve(high: Float32Array): Float32Array {
  const out = new Float32Array(3 * LOW * LOW);
  for (let c = 0; c < 3; c++)
    for (let y = 0; y < LOW; y++)
      for (let x = 0; x < LOW; x++) {
        const at = (yy: number, xx: number) => high[c * HIGH * HIGH + yy * HIGH + xx];
        out[c * LOW * LOW + y * LOW + x] = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
      }
  return out;
}
