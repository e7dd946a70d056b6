/**
 * Whole-network timings and memory of an SD 1.x checkpoint (meant for an SD 1.5-shaped one).
 *
 *   npm run make:sd15-random -- /tmp/sd15.safetensors      # random SD 1.5 weights (another issue's script)
 *   npm run bench:models -- /tmp/sd15.safetensors          # or any diffusers folder / single file
 *   npm run bench:models -- test/fixtures/tiny-sd --sizes 8,16 --decode 8
 *
 * Options: --sizes 32,64 (UNet latent sizes, batch 2), --decode 64 (VAE decode latent size, batch 1),
 * --attention naive|sliced|flash, --weights f32,f16 (each is loaded and measured; timings run on
 * each), --threads 2.
 *
 * Reports per weights dtype: load time, the process's resident memory after loading and after the
 * runs (mmap'd f16 pages count once touched), the engine's owned/mapped weight bytes, and for each
 * run its time and the activation arena's peak.
 */
import { encodeText, loadModel, native, unetForward, vaeDecode, vaeScaleFactor, type AttentionModeName, type WeightsDType } from '../native/index.ts';
import { checkpointArg, option } from './args.ts';

const checkpoint = checkpointArg('npm run bench:models -- CHECKPOINT [--sizes 32,64] [--decode 64] [--attention naive] [--weights f32,f16] [--threads 2]');
const sizes = option('sizes', '32,64').split(',').map(Number);
const decodeSize = Number(option('decode', '64'));
const attention = option('attention', 'naive') as AttentionModeName;
const kinds = option('weights', 'f32,f16').split(',') as WeightsDType[];
native.threadsSet(Number(option('threads', process.env.LATENTFLOW_THREADS ?? '2')));

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const rss = () => process.memoryUsage().rss;

function pseudoRandom(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2;
  }
  return out;
}

// Times one call and reports the arena's peak over it.
async function measure<T>(label: string, run: () => Promise<T>): Promise<T> {
  native.memoryPeakReset();
  const base = native.memoryStats().activationsCurrent;
  const t0 = performance.now();
  const out = await run();
  const ms = performance.now() - t0;
  const peak = native.memoryStats().activationsPeak - base;
  console.log(`  ${label.padEnd(34)} ${(ms / 1000).toFixed(3).padStart(9)} s   activations peak ${mib(peak)}`);
  return out;
}

console.log(`bench:models  ${checkpoint}  threads ${native.threadsGet()}  attention ${attention}`);
for (const weights of kinds) {
  const rssBefore = rss();
  const t0 = performance.now();
  const model = await loadModel(checkpoint, { weights });
  const loadMs = performance.now() - t0;
  const stats = native.memoryStats();
  const { weightBytes, unet, clip, vae } = model.info;
  console.log(`\nweights ${weights}`);
  console.log(`  load                               ${(loadMs / 1000).toFixed(3).padStart(9)} s`);
  console.log(
    `  weights: clip ${mib(weightBytes.clip)}, unet ${mib(weightBytes.unet)}, vae ${mib(weightBytes.vae)}; ` +
      `engine owned ${mib(stats.weightsCurrent)}, mapped ${mib(stats.mappedCurrent)}`,
  );
  console.log(`  resident after load                ${mib(rss() - rssBefore)} more than before (${mib(rss())} in all)`);

  const tokens = clip!.max_position_embeddings; // SD 1.x
  const ids = new Int32Array(2 * tokens).fill(49407);
  ids[0] = ids[tokens] = 49406;
  [320, 1125, 2368].forEach((id, i) => (ids[1 + i] = id));
  const context = await measure('text encoder, batch 2', () => encodeText(model, ids));
  for (const size of sizes) {
    const shape = [2, unet.in_channels, size, size] as const;
    const latent = pseudoRandom(2 * unet.in_channels * size * size, size);
    const out = await measure(`UNet ${size}x${size}, batch 2`, () =>
      unetForward(model, latent, shape, new Float32Array([981, 981]), context, { attention }),
    );
    if (!out.every(Number.isFinite)) console.log('  (UNet output has non-finite values)');
  }
  const latent = pseudoRandom(vae.latent_channels * decodeSize * decodeSize, 7);
  await measure(`VAE decode ${decodeSize}x${decodeSize} -> ${decodeSize * vaeScaleFactor(vae)}`, () =>
    vaeDecode(model, latent, [1, vae.latent_channels, decodeSize, decodeSize], { attention }),
  );
  console.log(`  resident after the runs            ${mib(rss())}`);
  model.dispose();
  native.memoryTrim();
  if (global.gc) global.gc();
}
