/**
 * The memory estimates against the engine's measured activation peak on a full-size checkpoint: one
 * UNet forward per (latent size, attention mode), batch 2, and optionally VAE decodes.
 *
 *   npm run make:sd15-random -- /tmp/sd15.safetensors
 *   LATENTFLOW_THREADS=2 npm run bench:memory -- /tmp/sd15.safetensors [--sizes 32,64] [--modes naive,sliced,flash]
 *                                                [--weights f16] [--vae 32,64] [--vae-tiles 32,16,4]
 *   LATENTFLOW_THREADS=2 npm run bench:memory -- --measure-only
 *
 * --vae-tiles adds, for each --vae size, the engine's tiled decode with image-wide normalisation
 * (vaeDecodeTiled, VAEDecodeTiled's 'image' mode) in tiles of that many latent cells.
 *
 * For each run: the estimate (estimateUnetMemory / estimateVaeDecode[Tiled]Memory, made before the run), the
 * arena's measured rise over the call (memoryStats().activationsPeak), their relative error, the
 * peak's place and the wall time. A run whose estimate is over what the machine has available is
 * skipped (its estimate is still printed).
 *
 * First, the cost of an estimate: a measure pass of the UNet forward (its allocations, no arithmetic)
 * at a 128x128 latent, batch 2, per attention mode, on the loaded model and from its configuration
 * alone (the networks built on placeholder weights); the median of 21 passes each. Target: < 50 ms.
 * Without a checkpoint (`npm run bench:memory -- --measure-only`) it times SD 1.5's configuration.
 */
import os from 'node:os';

import {
  estimateUnetMemory,
  estimateVaeDecodeMemory,
  estimateVaeDecodeTiledMemory,
  loadModel,
  native,
  unetForward,
  type ModelHandle,
  type UNetConfig,
  vaeDecode,
  vaeDecodeTiled,
  type AttentionModeName,
  type WeightsDType,
  vaeScaleFactor,
} from '../native/index.ts';
import { defaultMemoryBudget } from '../nodes/system/memory.ts';
import { SD15_UNET } from '../test/helpers/sd15-configs.ts';
import { checkpointArg, option } from './args.ts';

/** Median wall time of `runs` calls, in ms. */
function medianMs(fn: () => unknown, runs = 21): number {
  fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[runs >> 1];
}

function measurePassTimes(label: string, ...sources: [string, ModelHandle | UNetConfig][]): void {
  console.log(`
measure pass of the UNet forward, ${label}, 128x128 latent, batch 2 (median of 21; target < 50 ms)`);
  console.log('| source | attention | time | estimate |');
  console.log('|---|---|---:|---:|');
  for (const [name, source] of sources)
    for (const attention of ['naive', 'sliced', 'flash'] as const) {
      const query = { batch: 2, latentHeight: 128, latentWidth: 128, attention };
      const ms = medianMs(() => estimateUnetMemory(source, query));
      console.log(`| ${name} | ${attention} | ${ms.toFixed(2)} ms | ${mib(estimateUnetMemory(source, query).peakBytes)} |`);
    }
}

const measureOnly = process.argv.includes('--measure-only');
const checkpoint = measureOnly ? '' : checkpointArg('npm run bench:memory -- CHECKPOINT [--sizes 32,64] [--modes naive,sliced,flash] [--weights f16] [--vae 32,64]');
const list = (text: string) => (text === '' ? [] : text.split(','));
const sizes = list(option('sizes', '32,64')).map(Number);
const modes = list(option('modes', 'naive,sliced,flash')) as AttentionModeName[];
const vaeSizes = list(option('vae', '')).map(Number);
const vaeTiles = list(option('vae-tiles', '')).map(Number);
const weights = option('weights', 'f16') as WeightsDType;
native.threadsSet(Number(process.env.LATENTFLOW_THREADS ?? '2'));

const MiB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

async function measure(run: () => Promise<unknown>): Promise<{ peak: number; seconds: number }> {
  native.memoryPeakReset();
  const base = native.memoryStats().activationsCurrent;
  const t0 = performance.now();
  await run();
  return { peak: native.memoryStats().activationsPeak - base, seconds: (performance.now() - t0) / 1000 };
}

if (measureOnly) {
  console.log(`bench:memory --measure-only  threads ${native.threadsGet()}  load average ${load()}`);
  measurePassTimes('SD 1.5', ['SD 1.5 configuration', SD15_UNET]);
  process.exit(0);
}

console.log(`bench:memory  ${checkpoint}  weights ${weights}  threads ${native.threadsGet()}  load average ${load()}`);
const model = await loadModel(checkpoint, { weights });
const { unet, vae } = model.info;
measurePassTimes(checkpoint, ['loaded model', model], ['its configuration', unet]);
const context = pseudoRandom(2 * 77 * unet.cross_attention_dim, 3);
console.log('\n| network | latent | batch | attention | estimate | measured | error | peak at | time | load avg |');
console.log('|---|---|---:|---|---:|---:|---:|---|---:|---|');
const row = (net: string, size: number, batch: number, mode: string, estimate: number, measured: string, error: string, at: string, time: string) =>
  console.log(`| ${net} | ${size}x${size} | ${batch} | ${mode} | ${mib(estimate)} | ${measured} | ${error} | ${at} | ${time} | ${load()} |`);

for (const size of sizes)
  for (const attention of modes) {
    const e = estimateUnetMemory(model, { batch: 2, latentHeight: size, latentWidth: size, attention });
    if (e.peakBytes > defaultMemoryBudget()) {
      row('UNet', size, 2, attention, e.peakBytes, 'skipped (over available memory)', '', e.breakdown.at, '');
      continue;
    }
    const latent = pseudoRandom(2 * unet.in_channels * size * size, size);
    const m = await measure(() => unetForward(model, latent, [2, unet.in_channels, size, size], new Float32Array([981, 981]), context, { attention }));
    row('UNet', size, 2, attention, e.peakBytes, mib(m.peak), `${(((e.peakBytes - m.peak) / m.peak) * 100).toFixed(3)}%`, e.breakdown.at, `${m.seconds.toFixed(1)} s`);
  }
for (const size of vaeSizes)
  for (const attention of modes.filter((m) => m !== 'sliced')) {
    const e = estimateVaeDecodeMemory(model, { batch: 1, latentHeight: size, latentWidth: size, attention });
    const latent = pseudoRandom(vae.latent_channels * size * size, 7);
    const m = await measure(() => vaeDecode(model, latent, [1, vae.latent_channels, size, size], { attention }));
    row('VAE decode', size, 1, attention, e.peakBytes, mib(m.peak), `${(((e.peakBytes - m.peak) / m.peak) * 100).toFixed(3)}%`, e.breakdown.at, `${m.seconds.toFixed(1)} s`);
  }
for (const size of vaeSizes)
  for (const tile of vaeTiles) {
    const attention = 'flash' as const;
    const e = estimateVaeDecodeTiledMemory(model, { batch: 1, latentHeight: size, latentWidth: size, attention, tile });
    const latent = pseudoRandom(vae.latent_channels * size * size, 7);
    const m = await measure(() => vaeDecodeTiled(model, latent, [1, vae.latent_channels, size, size], { tile, attention }));
    row(`VAE decode, tiled 'image', ${tile * vaeScaleFactor(vae)}-px tiles`, size, 1, attention, e.peakBytes, mib(m.peak),
      `${(((e.peakBytes - m.peak) / m.peak) * 100).toFixed(3)}%`, e.breakdown.at, `${m.seconds.toFixed(1)} s`);
  }
model.dispose();
