/**
 * Training data for scripts/upscale/train_upscaler.py: pairs of a picture as the demo model
 * (models/diffusers/shapes-sd) makes it and the same picture drawn twice as large. Each scene is one
 * coloured shape on a coloured background, drawn like the demo's training data (scripts/taesd/make-data.ts):
 *   high  the scene drawn at 128x128 (4x4 supersampled per pixel: anti-aliased edges), in [-1, 1];
 *   low   the 64x64 picture (the 2x2 means of `high`, which is the demo's 64x64 drawing) passed through
 *         the demo VAE (encoder posterior mean, then decoder), so it carries the blur and colour shifts of
 *         the demo model's own pictures, in [-1, 1].
 * Run from the repository root:
 *
 *   node --import tsx scripts/upscale/make-data.ts /tmp/upscale-data [count]
 *
 * Writes <out>.json ({name: shape} in file order) and <out>.f32 (the tensors' float32 values, little-endian).
 */
import { writeFileSync } from 'node:fs';

import { loadModel, vaeDecode, vaeEncode } from '../../native/index.ts';
import { HIGH, halve, LOW, scene, seededRandom } from '../demo-scene.ts';

const [file = '/tmp/upscale-data', countText = '1024'] = process.argv.slice(2);
const count = Number(countText);
const random = seededRandom(24680);
const model = await loadModel('models/diffusers/shapes-sd');
const low = new Float32Array(count * 3 * LOW * LOW), high = new Float32Array(count * 3 * HIGH * HIGH);
const batch = 32;
for (let start = 0; start < count; start += batch) {
  const n = Math.min(batch, count - start);
  const pics = new Float32Array(n * 3 * LOW * LOW);
  for (let i = 0; i < n; i++) {
    const h = scene(random);
    high.set(h, (start + i) * 3 * HIGH * HIGH);
    pics.set(halve(h), i * 3 * LOW * LOW);
  }
  const { mean } = await vaeEncode(model, pics, [n, 3, LOW, LOW]);
  const dec = await vaeDecode(model, mean, [n, 4, LOW / 8, LOW / 8]);
  low.set(dec.map((v) => Math.min(1, Math.max(-1, v))), start * 3 * LOW * LOW);
}
const tensors: [string, number[], Float32Array][] = [
  ['low', [count, 3, LOW, LOW], low],
  ['high', [count, 3, HIGH, HIGH], high],
];
writeFileSync(`${file}.json`, JSON.stringify(Object.fromEntries(tensors.map(([name, shape]) => [name, shape]))));
writeFileSync(`${file}.f32`, Buffer.concat(tensors.map(([, , data]) => Buffer.from(data.buffer, data.byteOffset, data.byteLength))));
console.log(`wrote ${count} pairs (demo-VAE ${LOW}x${LOW} pictures, ${HIGH}x${HIGH} drawings) to ${file}`);
model.dispose();
