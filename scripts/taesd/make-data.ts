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

import { scene, seededRandom } from '../demo-scene.ts';

const SIZE = 64;
const random = seededRandom(12345);
const picture = () => scene(random, SIZE); // [3, 64, 64] in [-1, 1] (the VAE's range)

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
