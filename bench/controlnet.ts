/**
 * ControlNet at SD 1.5 shapes: the UNet step (batch 2 = one CFG step, 512x512 = a 64x64 latent, flash
 * attention, f16 weights mmap'd) with 0, 1 and 2 ControlNets applied inside the same call, the extra time per
 * step they cost, the working-memory estimate of the whole call, and the peak resident memory (VmHWM). Each
 * case runs in its own process (peak RSS is per process); the step time is the median of the timed steps
 * after one warm-up. The ControlNets are random (seeded, scripts/make-controlnet-random.ts: SD 1.5's
 * ControlNet architecture, LDM names, f16), written once to the temp folder; the hints are 512x512, one per
 * call (batch 1, broadcast as ComfyUI passes a single picture).
 *
 *   npm run make:sd15-random -- /tmp/sd15.safetensors
 *   npm run bench:controlnet -- /tmp/sd15.safetensors [--latent 64] [--steps 2]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { estimateUnetMemory, loadControlNet, loadModel, native, type Shape4, unetForward } from '../native/index.ts';
import { writeRandomControlNet } from '../scripts/make-controlnet-random.ts';
import { checkpointArg, option } from './args.ts';

const MiB = 2 ** 20;
const checkpoint = checkpointArg('npm run bench:controlnet -- CHECKPOINT [--latent 64] [--steps 2]');
const S = Number(option('latent', '64'));
const STEPS = Number(option('steps', '2'));
const child = option('child', '');

interface Result {
  stepMs: number[];
  peakRssMiB: number;
  estimateMiB: number;
  controlnetMiB: number;
}

function vmKiB(key: string): number {
  return Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
}

async function runCase(count: number, files: string[]): Promise<Result> {
  native.threadsSet(Number(process.env.LATENTFLOW_THREADS ?? '2'));
  const model = await loadModel(checkpoint, { weights: 'f16' });
  const nets = await Promise.all(files.slice(0, count).map((f) => loadControlNet(f, { weights: 'f16' })));
  const shape: Shape4 = [2, 4, S, S];
  const context = new Float32Array(2 * 77 * 768).map((_, i) => Math.sin(i) * 0.5);
  const latent = new Float32Array(2 * 4 * S * S).map((_, i) => Math.cos(i));
  const hint = new Float32Array(3 * 8 * S * 8 * S).map((_, i) => ((i * 7919) % 1000) / 1000);
  const controls = nets.map((controlnet, k) => ({ controlnet, hint, hintShape: [1, 3, 8 * S, 8 * S] as Shape4, strength: 1 - 0.25 * k }));
  const stepMs: number[] = [];
  for (let i = 0; i <= STEPS; i++) {
    const t0 = performance.now();
    const eps = await unetForward(model, latent, shape, new Float32Array([500, 500]), context, { attention: 'flash', controls });
    if (!eps.every(Number.isFinite)) throw new Error('the UNet gave non-finite values');
    if (i > 0) stepMs.push(performance.now() - t0); // the first call pages the weights in
  }
  const estimate = estimateUnetMemory(model, { batch: 2, latentHeight: S, latentWidth: S, attention: 'flash', controls: nets.map((controlnet) => ({ controlnet, hintBatch: 1 })) });
  return { stepMs, peakRssMiB: vmKiB('VmHWM') / 1024, estimateMiB: estimate.peakBytes / MiB, controlnetMiB: nets.reduce((n, c) => n + c.info.weightBytes / MiB, 0) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

if (child) {
  console.log(JSON.stringify(await runCase(Number(child), JSON.parse(option('files', '[]')) as string[])));
} else {
  const files = [0, 1].map((i) => path.join(tmpdir(), `latentflow-controlnet-sd15-random-${i}.safetensors`));
  for (const [i, f] of files.entries()) if (!existsSync(f)) writeRandomControlNet(f, 100 + i);
  console.log(`bench:controlnet ${checkpoint} (f16 weights, mmap'd), UNet batch 2 at ${S}x${S} latent (${8 * S}x${8 * S}), flash, ${STEPS} timed steps after one warm-up, ` +
    `LATENTFLOW_THREADS=${process.env.LATENTFLOW_THREADS ?? '2'}; ControlNets: random, SD 1.5 shape, f16 (${(readFileSync(files[0]).length / MiB).toFixed(0)} MiB each), ` +
    `hint batch 1; load average at start ${loadavg()}\n`);
  console.log('| ControlNets | step (median) | extra per step | vs none | working-memory estimate | peak RSS (VmHWM) | vs none |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
  let base: Result | undefined;
  for (const count of [0, 1, 2]) {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'bench/controlnet.ts', checkpoint, '--latent', String(S), '--steps', String(STEPS), '--child', String(count), '--files', JSON.stringify(files)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as Result;
    base ??= r;
    const step = median(r.stepMs), b = median(base.stepMs);
    console.log(`| ${count} | ${(step / 1000).toFixed(2)} s | ${step >= b ? '+' : ''}${((step - b) / 1000).toFixed(2)} s | ${(step / b).toFixed(2)}x | ${r.estimateMiB.toFixed(1)} MiB | ` +
      `${r.peakRssMiB.toFixed(0)} MiB | ${r.peakRssMiB >= base.peakRssMiB ? '+' : ''}${(r.peakRssMiB - base.peakRssMiB).toFixed(0)} MiB |`);
  }
  console.log(`\nload average at end ${loadavg()}`);
}
