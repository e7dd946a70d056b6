/**
 * LoRA at SD 1.5 shapes: UNet step time and peak resident memory with 0, 1 and 3 LoRAs of rank 32,
 * applied at run time (y = Wx + s up(down x), no copy of the weights) or merged into f32 copies of the
 * patched weights, side by side in one run. Each case runs in its own process (peak RSS, VmHWM, is per
 * process), loads the checkpoint with f16 weights (mmap'd, as a CPU user would), applies the LoRAs and
 * times UNet calls (batch 2 = one CFG step, flash attention); the step time is the median.
 *
 * The LoRAs are random (seeded), kohya layout with the original (LDM) module names, f16, covering what
 * kohya's sd-scripts train by default in the UNet: every transformer block's attention projections
 * (to_q, to_k, to_v, to_out.0 of attn1 and attn2), its feed-forward (ff.net.0.proj, ff.net.2) and the
 * blocks' proj_in / proj_out (1x1 convolutions): 192 modules, about 50 MiB each at rank 32.
 *
 *   npm run make:sd15-random -- /tmp/sd15.safetensors
 *   npm run bench:lora -- /tmp/sd15.safetensors [--latent 32] [--steps 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { inspectSafetensors, loadLora, loadModel, modelWithLoras, native, unetForward, type LoraMode } from '../native/index.ts';
import { checkpointArg, option } from './args.ts';

const RANK = 32;
const MiB = 2 ** 20;
const TARGET = /^model\.diffusion_model\.(.*(?:attn[12]\.(?:to_q|to_k|to_v|to_out\.0)|proj_in|proj_out|ff\.net\.0\.proj|ff\.net\.2))\.weight$/;

interface Case {
  loras: number;
  mode: LoraMode;
}
const CASES: Case[] = [
  { loras: 0, mode: 'runtime' },
  { loras: 1, mode: 'runtime' },
  { loras: 1, mode: 'merge' },
  { loras: 3, mode: 'runtime' },
  { loras: 3, mode: 'merge' },
];

interface Result {
  stepMs: number[];
  peakRssMiB: number;
  loadedRssMiB: number;
  extraMiB: number;
  modules: number;
  estimateMiB: number;
}

const checkpoint = checkpointArg('npm run bench:lora -- CHECKPOINT [--latent 32] [--steps 3]');
const S = Number(option('latent', '32'));
const STEPS = Number(option('steps', '3'));
const child = option('child', '');

function vmKiB(key: string): number {
  return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
}

/** A seeded random LoRA (kohya names, f16) for every targeted layer of the checkpoint. */
async function writeLora(file: string, seed: number): Promise<number> {
  const info = await inspectSafetensors(checkpoint);
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5);
  const tensors: Array<{ name: string; shape: number[]; data: Uint16Array }> = [];
  for (const t of info.tensors) {
    const m = TARGET.exec(t.name);
    if (!m) continue;
    const key = `lora_unet_${m[1].replaceAll('.', '_')}`;
    const [out, inp] = t.shape;
    const conv = t.shape.length === 4 ? [1, 1] : [];
    const half = (n: number, scale: number) => native.f32ToHalf(Float32Array.from({ length: n }, () => rand() * scale), 'f16');
    tensors.push({ name: `${key}.lora_down.weight`, shape: [RANK, inp, ...conv], data: half(RANK * inp, 2 / Math.sqrt(inp)) });
    tensors.push({ name: `${key}.lora_up.weight`, shape: [out, RANK, ...conv], data: half(out * RANK, 0.02) });
    tensors.push({ name: `${key}.alpha`, shape: [], data: native.f32ToHalf(Float32Array.of(RANK / 2), 'f16') });
  }
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F16', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  writeFileSync(file, Buffer.concat([head, Buffer.from(json), ...tensors.map((t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
  return tensors.length / 3;
}

async function runCase(c: Case, files: string[]): Promise<Result> {
  native.threadsSet(Number(process.env.LATENTFLOW_THREADS ?? '2'));
  const base = await loadModel(checkpoint, { weights: 'f16' });
  const loras = await Promise.all(files.slice(0, c.loras).map((f) => loadLora(f)));
  const { model, report } = await modelWithLoras(base, loras.map((lora) => ({ lora, strengthUnet: 1, strengthTextEncoder: 1 })), c.mode);
  const loadedRssMiB = vmKiB('VmRSS') / 1024;
  const context = new Float32Array(2 * 77 * 768).map((_, i) => Math.sin(i) * 0.5);
  const latent = new Float32Array(2 * 4 * S * S).map((_, i) => Math.cos(i));
  const stepMs: number[] = [];
  for (let i = 0; i <= STEPS; i++) {
    const t0 = performance.now();
    await unetForward(model, latent, [2, 4, S, S], new Float32Array([500, 500]), context, { attention: 'flash' });
    if (i > 0) stepMs.push(performance.now() - t0); // the first call pages the weights in
  }
  const { estimateUnetMemory } = await import('../native/index.ts');
  const estimate = estimateUnetMemory(model, { batch: 2, latentHeight: S, latentWidth: S, attention: 'flash' });
  return {
    stepMs,
    peakRssMiB: vmKiB('VmHWM') / 1024,
    loadedRssMiB,
    extraMiB: report.extraBytes / MiB,
    modules: report.matched.unet,
    estimateMiB: estimate.peakBytes / MiB,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (child) {
  const c = CASES[Number(child)];
  const files = JSON.parse(option('files', '[]')) as string[];
  console.log(JSON.stringify(await runCase(c, files)));
} else {
  const dir = mkdtempSync(path.join(tmpdir(), 'lf-bench-lora-'));
  try {
    const files = [0, 1, 2].map((i) => path.join(dir, `lora-${i}.safetensors`));
    let modules = 0;
    for (const [i, f] of files.entries()) modules = await writeLora(f, 1000 + i);
    const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(`bench:lora ${checkpoint} (f16 weights, mmap'd), UNet batch 2 at ${S}x${S} latent, flash, ${STEPS} timed steps after one warm-up, ` +
      `LATENTFLOW_THREADS=${process.env.LATENTFLOW_THREADS ?? '2'}; LoRAs: rank ${RANK}, ${modules} UNet modules each, f16 ` +
      `(${(readFileSync(files[0]).length / MiB).toFixed(1)} MiB per file); load average at start ${loadavg}\n`);
    console.log('| LoRAs | mode | step (median) | vs no LoRA | peak RSS (VmHWM) | vs no LoRA | RSS after apply | LoRA memory (engine) | working-memory estimate |');
    console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    let baseline: Result | undefined;
    for (const [i, c] of CASES.entries()) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/lora.ts', checkpoint, '--latent', String(S), '--steps', String(STEPS), '--child', String(i), '--files', JSON.stringify(files)], {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      });
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as Result;
      baseline ??= r;
      const step = median(r.stepMs);
      console.log(`| ${c.loras} | ${c.loras ? c.mode : '-'} | ${(step / 1000).toFixed(2)} s | ${(step / median(baseline.stepMs)).toFixed(2)}x | ` +
        `${r.peakRssMiB.toFixed(0)} MiB | +${(r.peakRssMiB - baseline.peakRssMiB).toFixed(0)} MiB | ${r.loadedRssMiB.toFixed(0)} MiB | ${r.extraMiB.toFixed(0)} MiB | ${r.estimateMiB.toFixed(1)} MiB |`);
    }
    console.log(`\nload average at end ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
