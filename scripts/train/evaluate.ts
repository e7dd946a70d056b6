/**
 * Measures what a LoRA or an embedding does to the demo model's pictures: runs a text-to-image graph
 * (CheckpointLoaderSimple shapes-sd, LoraLoaders, CLIPTextEncode, KSampler euler/normal 20 steps cfg 7.5,
 * 64x64) over prompts x seeds, and prints per picture and on average: the stripe amplitudes
 * (pictures.ts's stripeAmplitude, rows and columns), the mean RGB of the central 16x16 pixels and the mean
 * luminance of the outer 4-pixel ring. Run from the repository root:
 *
 *   node --import tsx scripts/train/evaluate.ts [--lora file.safetensors:strength]... [--prompt "text"]... [--seeds n] [--out dir]
 *
 * Without --prompt: 8 prompts of the demo's caption patterns. `--out dir` keeps the PNGs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { decodePng } from '../../nodes/image/png.ts';
import { parseWorkflow } from '../../protocol/index.ts';
import { REPO_ROOT } from '../../server/config.ts';
import { createHost, nativeMemoryProbe } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';
import { stripeAmplitude } from './pictures.ts';

const args = process.argv.slice(2);
const loras: { name: string; strength: number }[] = [];
const prompts: string[] = [];
let seeds = 2;
let keep: string | undefined;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--lora') {
    const [name, strength = '1'] = args[++i].split(':');
    loras.push({ name, strength: Number(strength) });
  } else if (args[i] === '--prompt') prompts.push(args[++i]);
  else if (args[i] === '--seeds') seeds = Number(args[++i]);
  else if (args[i] === '--out') keep = args[++i];
  else throw new Error(`unknown argument ${args[i]}`);
}
if (prompts.length === 0) {
  prompts.push(
    'a large yellow square on a purple background', 'a small red circle on a blue background', 'a large white triangle on a black background',
    'a green square on a white background', 'a blue circle', 'a large orange triangle on a green background', 'a black square on a yellow background',
    'a small purple circle on a red background',
  );
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-evaluate-'));
const host = createHost({ dataDir, modelsDir: path.join(REPO_ROOT, 'models') });

function graph(prompt: string, seed: number) {
  const g: Record<string, { class_type: string; inputs: Record<string, unknown> }> = {
    '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'shapes-sd.safetensors', weight_dtype: 'f32' } },
  };
  let model: [string, number] = ['4', 0], clip: [string, number] = ['4', 1];
  loras.forEach((l, i) => {
    const id = String(20 + i);
    g[id] = { class_type: 'LoraLoader', inputs: { model, clip, lora_name: l.name, strength_model: l.strength, strength_clip: l.strength } };
    [model, clip] = [[id, 0], [id, 1]];
  });
  Object.assign(g, {
    '6': { class_type: 'CLIPTextEncode', inputs: { clip, text: prompt } },
    '7': { class_type: 'CLIPTextEncode', inputs: { clip, text: '' } },
    '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
    '3': { class_type: 'KSampler', inputs: { model, positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0], seed, steps: 20, cfg: 7.5, sampler_name: 'euler', scheduler: 'normal', denoise: 1 } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'evaluate' } },
  });
  const parsed = parseWorkflow(g, host.registry);
  if (parsed.issues.length) throw new Error(JSON.stringify(parsed.issues));
  return parsed.graph!;
}

const totals = { rows: 0, columns: 0, centre: [0, 0, 0], ring: 0, n: 0 };
for (const prompt of prompts) {
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await executeGraph(graph(prompt, seed), host.registry, { cache: host.cache, memoryProbe: nativeMemoryProbe, services: { paths: host.paths } });
    if (result.status !== 'success') throw new Error(JSON.stringify(result.issues));
    const image = (Object.values(result.outputs).flatMap((ui) => (ui.images as { filename: string; subfolder: string }[]) ?? []))[0];
    const file = path.join(host.paths.output, image.subfolder, image.filename);
    const png = decodePng(fs.readFileSync(file));
    const { width: w, height: h, channels: c, data } = png;
    const rows = stripeAmplitude(data, w, h, c, 'rows'), columns = stripeAmplitude(data, w, h, c, 'columns');
    const centre = [0, 0, 0];
    let ring = 0, ringN = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * c;
        if (x >= 24 && x < 40 && y >= 24 && y < 40) for (let k = 0; k < 3; k++) centre[k] += data[o + k] / 256;
        if (x < 4 || y < 4 || x >= w - 4 || y >= h - 4) {
          ring += 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
          ringN++;
        }
      }
    ring /= ringN;
    console.log(`${prompt.padEnd(46)} seed ${seed}: rows ${rows.toFixed(1).padStart(5)}  columns ${columns.toFixed(1).padStart(5)}  centre ${centre.map((v) => v.toFixed(0).padStart(3)).join(' ')}  ring ${ring.toFixed(0)}`);
    if (keep) fs.copyFileSync(file, path.join(keep, `${prompts.indexOf(prompt)}-${seed}.png`));
    totals.rows += rows;
    totals.columns += columns;
    totals.ring += ring;
    centre.forEach((v, k) => (totals.centre[k] += v));
    totals.n++;
  }
}
const n = totals.n;
console.log(`mean over ${n} pictures (${loras.map((l) => `${l.name}:${l.strength}`).join(', ') || 'no LoRA'}): rows ${(totals.rows / n).toFixed(1)}  columns ${(totals.columns / n).toFixed(1)}  centre ${totals.centre.map((v) => (v / n).toFixed(0)).join(' ')}  ring ${(totals.ring / n).toFixed(0)}`);
fs.rmSync(dataDir, { recursive: true, force: true });
