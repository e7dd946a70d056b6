/**
 * One UNet step of an SD 1.5-shaped checkpoint at a 1024x1024 image (a 128x128 latent), batch 2
 * (classifier-free guidance's two halves): it completes with flash attention, and naive attention under
 * a 16 GiB budget is refused up front with its estimate, before any large allocation.
 *
 *   npm run make:sd15-random -- /tmp/sd15.safetensors
 *   LATENTFLOW_THREADS=2 npm run bench:large -- /tmp/sd15.safetensors [--size 128] [--budget-gb 16] [--weights f16]
 *
 * Prints the estimates of the three modes, the refusal (the planner's message, as KSampler gives it,
 * and the engine's own guard with unetForward's memoryLimitBytes) with the process's resident memory
 * (VmRSS) and the arena before and after it, then the flash run: wall time, the arena's peak next to
 * the estimate, and the process's peak resident memory (VmHWM: weights + activations + Node itself).
 * Takes minutes (5 full-resolution self-attentions over 16384 tokens).
 */
import fs from 'node:fs';
import os from 'node:os';

import { estimateUnetMemory, loadModel, native, unetForward, type AttentionModeName, type WeightsDType } from '../native/index.ts';
import { planUnetAttention } from '../nodes/models/attention-plan.ts';
import { defaultMemoryBudget, formatBytes } from '../nodes/system/memory.ts';
import { checkpointArg, option } from './args.ts';

const checkpoint = checkpointArg('npm run bench:large -- CHECKPOINT [--size 128] [--budget-gb 16] [--weights f16]');
const size = Number(option('size', '128'));
const budget = Number(option('budget-gb', '16')) * 2 ** 30;
const weights = option('weights', 'f16') as WeightsDType;
native.threadsSet(Number(process.env.LATENTFLOW_THREADS ?? '2'));

/** A field of /proc/self/status in bytes (VmRSS: resident now, VmHWM: peak resident). */
function procStatus(field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

console.log(`bench:large  ${checkpoint}  ${size * 8}x${size * 8} (latent ${size}x${size}), batch 2, weights ${weights}, threads ${native.threadsGet()}`);
console.log(`machine: ${formatBytes(os.totalmem())} RAM, ${os.cpus().length} CPUs, load average ${load()}`);
const t0 = performance.now();
const model = await loadModel(checkpoint, { weights });
console.log(`loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; VmRSS ${formatBytes(procStatus('VmRSS'))}`);

const shape = { batch: 2, latentHeight: size, latentWidth: size };
console.log('\n| attention | estimated peak | largest attention alone | at |');
console.log('|---|---:|---:|---|');
for (const attention of ['naive', 'sliced', 'flash'] as AttentionModeName[]) {
  const e = estimateUnetMemory(model, { ...shape, attention });
  console.log(`| ${attention} | ${formatBytes(e.peakBytes)} | ${formatBytes(e.attentionBytes)} | ${e.breakdown.attentionAt} |`);
}

const { unet } = model.info;
const latent = new Float32Array(2 * unet.in_channels * size * size).map((_, i) => Math.sin(i * 0.37));
const context = new Float32Array(2 * 77 * unet.cross_attention_dim).map((_, i) => Math.cos(i * 0.11) * 0.5);
const timesteps = new Float32Array([981, 981]);

console.log(`\nnaive attention, budget ${formatBytes(budget)}:`);
native.memoryPeakReset();
const rssBefore = procStatus('VmRSS');
const arenaBefore = native.memoryStats().activationsCurrent;
try {
  planUnetAttention('naive', model, shape, budget);
  console.log('  planner: NOT refused');
} catch (error) {
  console.log(`  planner (KSampler): refused: ${(error as Error).message}`);
}
try {
  await unetForward(model, latent, [2, unet.in_channels, size, size], timesteps, context, { attention: 'naive', memoryLimitBytes: budget });
  console.log('  engine: NOT refused');
} catch (error) {
  console.log(`  engine (unetForward memoryLimitBytes): refused: ${(error as { code?: string }).code}: ${(error as Error).message}`);
}
const rssAfter = procStatus('VmRSS');
console.log(
  `  VmRSS ${formatBytes(rssBefore)} before, ${formatBytes(rssAfter)} after (${((rssAfter - rssBefore) / 2 ** 20).toFixed(1)} MiB); ` +
    `arena peak during the refusal: ${native.memoryStats().activationsPeak - arenaBefore} bytes above what was allocated`,
);

const flash = estimateUnetMemory(model, { ...shape, attention: 'flash' });
console.log(`\nflash attention (budget: ${formatBytes(defaultMemoryBudget())} available), load average ${load()}:`);
native.memoryPeakReset();
const base = native.memoryStats().activationsCurrent;
const t1 = performance.now();
const out = await unetForward(model, latent, [2, unet.in_channels, size, size], timesteps, context, { attention: 'flash', memoryLimitBytes: defaultMemoryBudget() });
const seconds = (performance.now() - t1) / 1000;
const peak = native.memoryStats().activationsPeak - base;
console.log(`  one UNet step: ${seconds.toFixed(1)} s (load average after: ${load()}); output finite: ${out.every(Number.isFinite)}`);
console.log(`  arena peak ${formatBytes(peak)} (estimate ${formatBytes(flash.peakBytes)}, error ${(((flash.peakBytes - peak) / peak) * 100).toFixed(3)}%)`);
console.log(`  process peak resident memory (VmHWM) ${formatBytes(procStatus('VmHWM'))}; VmRSS now ${formatBytes(procStatus('VmRSS'))}`);
model.dispose();
