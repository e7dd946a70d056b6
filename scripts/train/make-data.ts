/**
 * Training data for scripts/train/train_lora.py and train_embedding.py: pictures in one style of
 * scripts/train/pictures.ts, their latents from the demo model's VAE (posterior mean times scaling_factor:
 * what the UNet denoises) and what each shows (so the trainer can write a caption for it). Run from the
 * repository root:
 *
 *   node --import tsx scripts/train/make-data.ts /tmp/lora-stripes stripes [count] [seed] [hints [low high]]
 *
 * Writes <out>.json ({name: shape} in file order, and the style) and <out>.f32 (the tensors' float32
 * values, little-endian, one after the other): latents [n, 4, 8, 8]; labels [n, 4] = background colour,
 * shape colour, shape (indices of pictures.ts's lists), large (0 or 1); with `hints` (for train_controlnet.py) also
 * hints [n, 1, 64, 64]: each picture's edge map as the Canny node makes it (thresholds low, high: default the node's 0.4, 0.8, which find no edges where
 * the shape's and the background's luminance differ by less than about half). Prints how striped the VAE's
 * decodes of the latents are (pictures.ts's stripeAmplitude both ways, mean over the first 64), to show the VAE keeps the style.
 */
import { writeFileSync } from 'node:fs';

import { loadModel, vaeDecode, vaeEncode } from '../../native/index.ts';
import { cannyPlane } from '../../nodes/image/canny.ts';
import { lcg, picture, SIZE, stripeAmplitude, type Style } from './pictures.ts';

const [file = '/tmp/lora-stripes', style = 'stripes', countText = '2048', seedText = '19', extra = '', lowText = '0.4', highText = '0.8'] = process.argv.slice(2);
if (extra !== '' && extra !== 'hints') throw new Error(`${extra}: the fifth argument is 'hints' (write the Canny edge maps too) or nothing`);
if (!['plain', 'stripes', 'columns', 'moon'].includes(style)) throw new Error(`style ${style}: use plain, stripes, columns or moon`);
const count = Number(countText);
const random = lcg(Number(seedText));
const model = await loadModel('models/diffusers/shapes-sd');
const factor = model.info.vae.scaling_factor;
const latents = new Float32Array(count * 4 * 64), labels = new Float32Array(count * 4);
const hints = new Float32Array(extra === 'hints' ? count * SIZE * SIZE : 0);
const batch = 32;
let rows = 0, columns = 0, measured = 0;
for (let start = 0; start < count; start += batch) {
  const n = Math.min(batch, count - start);
  const pixels = new Float32Array(n * 3 * SIZE * SIZE);
  for (let i = 0; i < n; i++) {
    const p = picture(style as Style, random);
    pixels.set(p.pixels, i * 3 * SIZE * SIZE);
    labels.set([p.label.background, p.label.colour, p.label.shape, p.label.large ? 1 : 0], (start + i) * 4);
    if (hints.length) {
      const gray = new Float32Array(SIZE * SIZE); // the Canny node's grayscale of the [0, 1] picture
      for (let q = 0; q < SIZE * SIZE; q++)
        for (let c = 0; c < 3; c++) gray[q] += [0.299, 0.587, 0.114][c] * (p.pixels[c * SIZE * SIZE + q] + 1) * 0.5;
      hints.set(cannyPlane(gray, SIZE, SIZE, Number(lowText), Number(highText)), (start + i) * SIZE * SIZE);
    }
  }
  const { mean } = await vaeEncode(model, pixels, [n, 3, SIZE, SIZE]);
  latents.set(mean.map((v) => v * factor), start * 256);
  if (measured < 64) {
    const decoded = await vaeDecode(model, mean, [n, 4, 8, 8]);
    for (let i = 0; i < n && measured < 64; i++, measured++) {
      const rgb = new Float32Array(SIZE * SIZE * 3);
      for (let p = 0; p < SIZE * SIZE; p++)
        for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.min(255, Math.max(0, (decoded[(i * 3 + c) * SIZE * SIZE + p] + 1) * 127.5));
      rows += stripeAmplitude(rgb, SIZE, SIZE, 3, 'rows');
      columns += stripeAmplitude(rgb, SIZE, SIZE, 3, 'columns');
    }
  }
}
const tensors: [string, number[], Float32Array][] = [
  ['latents', [count, 4, 8, 8], latents],
  ['labels', [count, 4], labels],
  ...(hints.length ? [['hints', [count, 1, SIZE, SIZE], hints] as [string, number[], Float32Array]] : []),
];
writeFileSync(`${file}.json`, JSON.stringify({ style, ...Object.fromEntries(tensors.map(([name, shape]) => [name, shape])) }));
writeFileSync(`${file}.f32`, Buffer.concat(tensors.map(([, , data]) => Buffer.from(data.buffer, data.byteOffset, data.byteLength))));
console.log(`wrote ${count} ${style} latents (x ${factor}) and labels to ${file}; stripe amplitudes of the VAE's decodes: rows ${(rows / measured).toFixed(1)}, columns ${(columns / measured).toFixed(1)}`);
model.dispose();
