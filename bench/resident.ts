/**
 * The process's resident memory through the phases of a txt2img on a full-size checkpoint with f16
 * weights (zero-copy views of the mmap'd file): after loading, after the text encoder, after one UNet
 * call (batch 2, flash), after the VAE decode, after memoryTrim. Per phase: VmRSS and its file-backed
 * (mapped weights) and anonymous parts, the high-water mark VmHWM, and the activation arena's peak and
 * cached (freed, kept for reuse) bytes.
 *
 *   npm run make:sd15-random -- /tmp/sd15.safetensors
 *   npm run bench:resident -- /tmp/sd15.safetensors [--latent 64] [--weights q8_0]   # q8_0: the UNet quantized at load
 *   LATENTFLOW_KEEP_WEIGHTS_RESIDENT=1 npm run bench:resident -- /tmp/sd15.safetensors   # pages of all networks kept
 */
import { readFileSync } from 'node:fs';

import { encodeText, loadModel, native, unetForward, vaeDecode } from '../native/index.ts';
import { checkpointArg, option } from './args.ts';

const checkpoint = checkpointArg('npm run bench:resident -- CHECKPOINT [--latent 64] [--weights f16|q8_0]');
const S = Number(option('latent', '64'));
const WEIGHTS = option('weights', 'f16') as 'f16' | 'q8_0';
native.threadsSet(Number(process.env.LATENTFLOW_THREADS ?? '2'));
const MiB = 2 ** 20;

function phase(name: string): void {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  const m = native.memoryStats();
  const mib = (kb: number) => (kb / 1024).toFixed(0);
  console.log(`| ${name} | ${mib(kib('VmRSS'))} | ${mib(kib('RssFile'))} | ${mib(kib('RssAnon'))} | ${mib(kib('VmHWM'))} | ` +
    `${(m.activationsPeak / MiB).toFixed(0)} | ${(m.activationsCached / MiB).toFixed(0)} |`);
}

console.log(`bench:resident ${checkpoint}, ${WEIGHTS} weights, latent ${S}x${S}, LATENTFLOW_KEEP_WEIGHTS_RESIDENT=${process.env.LATENTFLOW_KEEP_WEIGHTS_RESIDENT ?? ''}\n`);
console.log('| after | RSS MiB | file MiB | anon MiB | peak RSS (VmHWM) MiB | arena peak MiB | arena cached MiB |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
phase('start');
const loadStarted = performance.now();
const model = await loadModel(checkpoint, { weights: WEIGHTS });
const loadSeconds = (performance.now() - loadStarted) / 1000;
phase('load');
const ids = new Int32Array(2 * 77).fill(49407); // two empty prompts: <|startoftext|> then <|endoftext|> padding
ids[0] = ids[77] = 49406;
const context = await encodeText(model, ids);
phase('text encoder');
const latent = new Float32Array(2 * 4 * S * S).map((_, i) => Math.sin(i));
native.memoryPeakReset();
await unetForward(model, latent, [2, 4, S, S], new Float32Array([500, 500]), context, { attention: 'flash' });
phase('UNet (batch 2, flash)');
native.memoryPeakReset();
await vaeDecode(model, latent.subarray(0, 4 * S * S), [1, 4, S, S], { attention: 'flash' });
phase('VAE decode');
native.memoryTrim();
phase('memoryTrim');
const w = model.info.weightBytes;
console.log(`\nload ${loadSeconds.toFixed(2)} s; weights stored (${WEIGHTS}): text encoder ${(w.clip / MiB).toFixed(0)} MiB, UNet ${(w.unet / MiB).toFixed(0)} MiB, VAE ${(w.vae / MiB).toFixed(0)} MiB`);
model.dispose();
