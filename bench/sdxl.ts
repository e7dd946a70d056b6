/**
 * SDXL on this machine's CPU, side by side in one run: load time and resident memory of an SDXL base
 * checkpoint with f16 weights (zero-copy views of the mmap'd file), both text encoders, one UNet call at
 * a S x S latent, batch 2 (S = 128: a 1024x1024 CFG step) with flash attention in fp32 and, where the
 * CPU has AVX512_BF16, bf16; the VAE decode of a V x V latent in one piece and tiled; and optionally a
 * whole txt2img job through the CLI (`latentflow run`) with its peak RSS (/usr/bin/time). Medians of
 * --runs calls (after one warm-up).
 *
 *   npm run make:sdxl-random -- /tmp/sdxl-random.safetensors
 *   npm run bench:sdxl -- /tmp/sdxl-random.safetensors [--latent 128] [--vae-latent 128] [--runs 1]
 *                        [--job-size 1024 --job-steps 20]   (the CLI job; 0 skips it, the default)
 *                        [--weights q8_0] [--job-precision bf16] [--job-only]   (the UNet in q8_0 blocks; one job; no network rows)
 *
 * The machine is usually shared: the load average is printed with the figures.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { encodeTextPooled, loadModel, native, unetForward, vaeDecode, vaeDecodeTiled } from '../native/index.ts';
import { checkpointArg, option } from './args.ts';
import { median, timeMs } from './stats.ts';

const usage = 'npm run bench:sdxl -- CHECKPOINT [--latent 128] [--vae-latent 128] [--runs 1] [--weights f16|q8_0] [--job-size 0] [--job-steps 20] [--job-precision fp32|bf16] [--job-only]';
const checkpoint = path.resolve(checkpointArg(usage));
const S = Number(option('latent', '128'));
const V = Number(option('vae-latent', '128'));
const runs = Number(option('runs', '1'));
const jobSize = Number(option('job-size', '0'));
const jobSteps = Number(option('job-steps', '20'));
const weights = option('weights', 'f16') as 'f16' | 'q8_0'; // q8_0: the UNet quantized at load (README, Memory options)
const jobPrecision = option('job-precision', ''); // the whole job in this precision only (default: each the CPU has)
const jobOnly = process.argv.includes('--job-only'); // skip the per-network rows
const threads = Number(process.env.LATENTFLOW_THREADS ?? '2');
native.threadsSet(threads);
const GiB = 2 ** 30;

const rss = () => {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') * 1024, hwm: kib('VmHWM') * 1024 };
};
const gib = (bytes: number) => (bytes / GiB).toFixed(2);
const s = (ms: number) => (ms / 1000).toFixed(2);
const rows: string[] = [];
const row = (what: string, value: string, note = '') => {
  rows.push(`| ${what} | ${value} | ${note} |`);
  console.log(`${what}: ${value} ${note}`);
};

console.log(`bench:sdxl ${checkpoint}: ${threads} threads, ${native.cpuFeatures().isa} kernels, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

const precisions = native.cpuFeatures().bf16 ? (['fp32', 'bf16'] as const) : (['fp32'] as const);
/** The per-network rows: load, text encoders, one UNet call per precision, the VAE decode in one piece and tiled. */
async function networkRows(): Promise<void> {
  const started = performance.now();
  const model = await loadModel(checkpoint, { weights });
  row(`load (${weights} weights)`, `${s(performance.now() - started)} s`, `RSS ${gib(rss().rss)} GiB after load; weights ${gib(model.info.weightBytes.unet + model.info.weightBytes.vae + model.info.weightBytes.clip + (model.info.weightBytes.clip2 ?? 0))} GiB mapped or owned`);

  const ids = new Int32Array(77).fill(49407);
  ids.set([49406, 320, 2368, 49407]);
  const ids2 = new Int32Array(77).fill(0);
  ids2.set([49406, 320, 2368, 49407]);
  const te1 = median(await timeMs(() => encodeTextPooled(model, 0, ids, { clipSkip: 2, finalLayerNorm: false }), runs));
  const te2 = median(await timeMs(() => encodeTextPooled(model, 1, ids2, { clipSkip: 2, finalLayerNorm: false }), runs));
  row('text encoders (CLIP-L, OpenCLIP bigG), one prompt', `${s(te1)} s + ${s(te2)} s`);

  const dim = model.info.unet.cross_attention_dim;
  const pooled = model.info.unet.projection_class_embeddings_input_dim! - 6 * model.info.unet.addition_time_embed_dim!;
  const latent = new Float32Array(2 * 4 * S * S).map((_, i) => Math.sin(i * 0.37));
  const context = new Float32Array(2 * 77 * dim).map((_, i) => Math.cos(i * 0.11) * 0.5);
  const added = {
    textEmbeds: new Float32Array(2 * pooled).map((_, i) => Math.sin(i * 0.07)),
    timeIds: Float32Array.from([8 * S, 8 * S, 0, 0, 8 * S, 8 * S, 8 * S, 8 * S, 0, 0, 8 * S, 8 * S]),
  };
  for (const precision of precisions) {
    native.memoryPeakReset();
    const ms = median(await timeMs(() => unetForward(model, latent, [2, 4, S, S], Float32Array.of(500, 500), context, { attention: 'flash', precision, added }), runs));
    row(`UNet call, ${S}x${S} latent, batch 2, flash, ${precision}`, `${s(ms)} s`, `arena peak ${gib(native.memoryStats().activationsPeak)} GiB, RSS high-water ${gib(rss().hwm)} GiB`);
  }
  if (!native.cpuFeatures().bf16) row('UNet call, bf16', 'not run', `this CPU has no AVX512_BF16 (${native.cpuFeatures().isa} path)`);

  const vaeLatent = latent.subarray(0, 4 * V * V);
  native.memoryPeakReset();
  const plain = median(await timeMs(() => vaeDecode(model, vaeLatent, [1, 4, V, V], { attention: 'flash' }), runs));
  row(`VAE decode, ${V}x${V} latent (${8 * V}x${8 * V} px), in one piece`, `${s(plain)} s`, `arena peak ${gib(native.memoryStats().activationsPeak)} GiB`);
  native.memoryPeakReset();
  const tiled = median(await timeMs(() => vaeDecodeTiled(model, vaeLatent, [1, 4, V, V], { attention: 'flash', tile: 32 }), runs));
  row(`VAE decode, ${V}x${V} latent, tiled (32-cell tiles)`, `${s(tiled)} s`, `arena peak ${gib(native.memoryStats().activationsPeak)} GiB`);
  model.dispose();
}
if (!jobOnly) await networkRows();

if (jobSize > 0) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-bench-sdxl-'));
  try {
    fs.mkdirSync(path.join(work, 'models', 'checkpoints'), { recursive: true });
    fs.symlinkSync(checkpoint, path.join(work, 'models', 'checkpoints', 'sdxl.safetensors'));
    for (const precision of jobPrecision ? [jobPrecision] : precisions) {
      const graph = {
        '1': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sdxl.safetensors', weight_dtype: weights, precision } },
        '2': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse on a cliff, stormy sea', clip: ['1', 1] } },
        '3': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['1', 1] } },
        '4': { class_type: 'EmptyLatentImage', inputs: { width: jobSize, height: jobSize, batch_size: 1 } },
        '5': { class_type: 'KSampler', inputs: { model: ['1', 0], seed: 1, steps: jobSteps, cfg: 5, sampler_name: 'euler', scheduler: 'normal', positive: ['2', 0], negative: ['3', 0], latent_image: ['4', 0], denoise: 1, attention: 'flash' } },
        '6': { class_type: 'VAEDecodeTiled', inputs: { samples: ['5', 0], vae: ['1', 2], tile_size: 512, overlap: 64, normalization: 'image' } },
        '7': { class_type: 'SaveImage', inputs: { images: ['6', 0], filename_prefix: 'bench-sdxl' } },
      };
      const file = path.join(work, `job-${precision}.json`);
      fs.writeFileSync(file, JSON.stringify(graph));
      const started = performance.now();
      const child = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, 'bin/latentflow.js', 'run', file, '--models-dir', path.join(work, 'models'), '--output-dir', path.join(work, 'out')], {
        encoding: 'utf8',
        env: { ...process.env, LATENTFLOW_THREADS: String(threads) },
      });
      const seconds = (performance.now() - started) / 1000;
      const peakKib = Number(child.stderr.trim().split('\n').pop());
      if (child.status !== 0) row(`whole job ${jobSize}x${jobSize}, ${jobSteps} steps, ${precision}, ${weights} weights`, 'failed', child.stderr.trim().split('\n').slice(-4).join(' '));
      else row(`whole job ${jobSize}x${jobSize}, ${jobSteps} steps, ${precision}, ${weights} weights, through the CLI`, `${seconds.toFixed(0)} s`, `peak RSS ${gib(peakKib * 1024)} GiB`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

console.log(`\n| measured | median | notes |\n|---|---:|---|\n${rows.join('\n')}`);
console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; reproduce: npm run bench:sdxl -- ${process.argv.slice(2).join(' ')}`);
