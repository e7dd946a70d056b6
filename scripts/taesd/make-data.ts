/**
 * Training data for scripts/taesd/train_taesd.py: pictures like the demo model's (one coloured shape on
 * a coloured background, 64x64, drawn 4x larger and box-filtered), the demo VAE's latents of them
 * (posterior mean times scaling_factor: model space, what TAESD takes) and the VAE's decodes of those
 * latents (what TAESD's decoder learns to imitate). Run from the repository root:
 *
 *   node --import tsx scripts/taesd/make-data.ts /tmp/taesd-data [count]
 *
 * Writes <out>.json ({name: shape} in file order) and <out>.f32 (the tensors' float32 values, little-endian, one after the other).
 */
import { loadModel, vaeDecode, vaeEncode } from '../../native/index.ts';
import { writeFileSync } from 'node:fs';

const COLOURS: [number, number, number][] = [
  [220, 30, 30], [40, 180, 60], [40, 70, 220], [240, 220, 40], [140, 50, 180], [250, 140, 20], [245, 245, 245], [15, 15, 15],
];
const SIZE = 64, SS = 4;

let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
const pick = <T>(a: T[]) => a[Math.floor(random() * a.length)];

/** One picture, [3, 64, 64] in [-1, 1] (the VAE's range). */
function picture(): Float32Array {
  const bg = pick(COLOURS);
  let fg = pick(COLOURS);
  while (fg === bg) fg = pick(COLOURS);
  const large = random() < 0.5;
  const r = (large ? 17 + random() * 4 : 8 + random() * 3) * SS;
  const jitter = large ? 6 : 10;
  const cx = (32 + (random() * 2 - 1) * jitter) * SS, cy = (32 + (random() * 2 - 1) * jitter) * SS;
  const shape = Math.floor(random() * 3);
  const inside = (x: number, y: number) => {
    if (shape === 0) return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    if (shape === 1) return Math.abs(x - cx) <= r && Math.abs(y - cy) <= r;
    const top = cy - r, bottom = cy + r; // triangle pointing up
    if (y < top || y > bottom) return false;
    return Math.abs(x - cx) <= ((y - top) / (2 * r)) * r;
  };
  const out = new Float32Array(3 * SIZE * SIZE);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      let hit = 0;
      for (let sy = 0; sy < SS; sy++) for (let sx = 0; sx < SS; sx++) hit += inside(x * SS + sx + 0.5, y * SS + sy + 0.5) ? 1 : 0;
      const a = hit / (SS * SS);
      for (let c = 0; c < 3; c++) out[c * SIZE * SIZE + y * SIZE + x] = ((fg[c] * a + bg[c] * (1 - a)) / 255) * 2 - 1;
    }
  return out;
}

const [file = '/tmp/taesd-data', countText = '2048'] = process.argv.slice(2);
const count = Number(countText);
const model = await loadModel('models/diffusers/shapes-sd');
const factor = model.info.vae.scaling_factor;
const images = new Float32Array(count * 3 * SIZE * SIZE), latents = new Float32Array(count * 4 * 64), decoded = new Float32Array(count * 3 * SIZE * SIZE);
const batch = 32;
for (let start = 0; start < count; start += batch) {
  const n = Math.min(batch, count - start);
  const pics = new Float32Array(n * 3 * SIZE * SIZE);
  for (let i = 0; i < n; i++) pics.set(picture(), i * 3 * SIZE * SIZE);
  const { mean } = await vaeEncode(model, pics, [n, 3, SIZE, SIZE]);
  const dec = await vaeDecode(model, mean, [n, 4, 8, 8]);
  images.set(pics, start * 3 * SIZE * SIZE);
  latents.set(mean.map((v) => v * factor), start * 256);
  decoded.set(dec, start * 3 * SIZE * SIZE);
}
const tensors: [string, number[], Float32Array][] = [
  ['images', [count, 3, SIZE, SIZE], images],
  ['latents', [count, 4, 8, 8], latents],
  ['decoded', [count, 3, SIZE, SIZE], decoded],
];
writeFileSync(`${file}.json`, JSON.stringify(Object.fromEntries(tensors.map(([name, shape]) => [name, shape]))));
writeFileSync(`${file}.f32`, Buffer.concat(tensors.map(([, , data]) => Buffer.from(data.buffer, data.byteOffset, data.byteLength))));
console.log(`wrote ${count} pictures, latents (x ${factor}) and VAE decodes to ${file}`);
model.dispose();
