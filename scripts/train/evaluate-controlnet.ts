/**
 * Measures how well the shipped ControlNet (models/controlnet/shapes-canny.safetensors) places a shape: runs
 * workflows/controlnet.json (LoadImage -> Canny -> ControlNetApplyAdvanced, KSampler ddim 20 steps cfg 7.5) on
 * source pictures of a square at several spots, for seeds 1..n, at strength 1 and 0, and prints per picture and
 * on average the distance (pixels) between the generated shape's centroid and the centre of the square the edge
 * map outlines, and their IoU (scripts/train/placement.ts). Run from the repository root:
 *
 *   node --import tsx scripts/train/evaluate-controlnet.ts [--seeds n] [--strength s]...
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { decodePng, encodePng } from '../../nodes/image/png.ts';
import { parseWorkflow } from '../../protocol/index.ts';
import { REPO_ROOT } from '../../server/config.ts';
import { createHost, nativeMemoryProbe, seedExampleInputs } from '../../server/host.ts';
import { executeGraph } from '../../server/runner/execute.ts';
import { applyOverrides } from '../../server/runner/overrides.ts';
import { cannyBox, centroid, iou, shapeMask, type Picture } from './placement.ts';

const args = process.argv.slice(2);
let seeds = 4;
const strengths: number[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seeds') seeds = Number(args[++i]);
  else if (args[i] === '--strength') strengths.push(Number(args[++i]));
  else throw new Error(`unknown argument ${args[i]}`);
}
if (strengths.length === 0) strengths.push(1, 0);

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-evaluate-cn-'));
const host = createHost({ dataDir, modelsDir: path.join(REPO_ROOT, 'models') });
seedExampleInputs(host.paths.input, REPO_ROOT);

/** A square of half side `r` centred at (cx, cy), colour fg on bg, 4x4 supersampled as pictures.ts draws. */
function square(cx: number, cy: number, r: number, fg: number[], bg: number[]): Picture & { channels: 3; data: Uint8Array } {
  const data = new Uint8Array(64 * 64 * 3);
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) {
      let hit = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) hit += Math.abs(x + (sx + 0.5) / 4 - cx) <= r && Math.abs(y + (sy + 0.5) / 4 - cy) <= r ? 1 : 0;
      for (let k = 0; k < 3; k++) data[(y * 64 + x) * 3 + k] = Math.round((fg[k] * hit + bg[k] * (16 - hit)) / 16);
    }
  return { width: 64, height: 64, channels: 3, data };
}

const sources: { file: string; prompt: string }[] = [{ file: 'shapes-blue-square.png', prompt: 'a small red square on a white background' }];
const spots: [number, number, string][] = [[23, 23, 'a small yellow square on a black background'], [41, 41, 'a small green square on a white background'], [23, 41, 'a small red square on a blue background']];
for (const [cx, cy, prompt] of spots) {
  const file = `cn-eval-${cx}-${cy}.png`;
  fs.writeFileSync(path.join(host.paths.input, file), encodePng(square(cx, cy, 9, [40, 70, 220], [245, 245, 245])));
  sources.push({ file, prompt });
}

const json = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'workflows', 'controlnet.json'), 'utf8'));
const parsed = parseWorkflow(json, host.registry);
if (parsed.issues.length) throw new Error(JSON.stringify(parsed.issues));

const totals = new Map<number, { distance: number; iou: number; n: number }>();
for (const source of sources) {
  const input = decodePng(fs.readFileSync(path.join(host.paths.input, source.file)));
  const target = cannyBox(input);
  const [tx, ty] = centroid(target, 64);
  for (const strength of strengths) {
    for (let seed = 1; seed <= seeds; seed++) {
      const prepared = applyOverrides(parsed.graph!, { '10.image': source.file, '6.text': source.prompt, '13.strength': strength, '3.seed': seed });
      if (prepared.issues.length) throw new Error(JSON.stringify(prepared.issues));
      const result = await executeGraph(prepared.graph, host.registry, { cache: host.cache, memoryProbe: nativeMemoryProbe, services: { paths: host.paths } });
      if (result.status !== 'success') throw new Error(JSON.stringify(result.issues));
      const image = Object.values(result.outputs).flatMap((ui) => (ui.images as { filename: string; subfolder: string }[]) ?? [])[0];
      const png = decodePng(fs.readFileSync(path.join(host.paths.output, image.subfolder, image.filename)));
      const mask = shapeMask(png);
      const [gx, gy] = centroid(mask, 64);
      const distance = Math.hypot(gx - tx, gy - ty), overlap = iou(mask, target);
      console.log(`${source.file.padEnd(24)} edges at (${tx.toFixed(1)}, ${ty.toFixed(1)})  strength ${strength}  seed ${seed}: shape at (${gx.toFixed(1)}, ${gy.toFixed(1)}), distance ${distance.toFixed(1)} px, IoU ${overlap.toFixed(2)}`);
      const t = totals.get(strength) ?? { distance: 0, iou: 0, n: 0 };
      totals.set(strength, { distance: t.distance + (Number.isNaN(distance) ? 64 : distance), iou: t.iou + overlap, n: t.n + 1 });
    }
  }
}
for (const [strength, t] of totals)
  console.log(`strength ${strength}: mean centroid distance ${(t.distance / t.n).toFixed(1)} px, mean IoU ${(t.iou / t.n).toFixed(2)} over ${t.n} pictures`);
fs.rmSync(dataDir, { recursive: true, force: true });
