/**
 * The child process of bench:speed's `lcm` row (its peak RSS is its own): a 512x512 picture with an SD
 * 1.5-shaped checkpoint, ModelSamplingDiscrete (lcm), KSampler with the lcm sampler, 4 steps, cfg 1,
 * sgm_uniform, decoded by TAESD (VAELoader's taesd), on a warm host: the workflow runs once to load
 * (cold) and then `--repeat` more times with new seeds (the loaders and the prompt's encoding stay
 * cached, as on a server). Prints one JSON line: the cold and warm wall seconds, the process's peak
 * RSS (VmHWM) before the warm runs and at the end, and each run's page faults and system CPU seconds.
 *
 *   node --import tsx bench/lcm-taesd.ts --models-dir D --checkpoint sd15.safetensors [--size 512] [--steps 4] [--repeat 3] [--weights q8_0]
 *
 * D needs checkpoints/<checkpoint> and vae_approx/taesd_{encoder,decoder}.safetensors.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { native } from '../native/index.ts';
import { createHost, nativeMemoryProbe } from '../server/host.ts';
import { executeGraph } from '../server/runner/execute.ts';
import { prepareWorkflow } from '../server/jobs/submit.ts';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
};
const modelsDir = option('models-dir', '');
const checkpoint = option('checkpoint', 'sd15.safetensors');
const size = Number(option('size', '512'));
const steps = Number(option('steps', '4'));
const repeat = Number(option('repeat', '3'));
const precision = option('precision', 'fp32'); // the loader's precision: the products of every network
const weights = option('weights', 'f16'); // the loader's weight_dtype: f16 (the product's default) or q8_0
native.threadsSet(Number(process.env.LATENTFLOW_THREADS ?? '2'));

const workflow = (seed: number) => ({
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: checkpoint, weight_dtype: weights, precision } },
  '10': { class_type: 'ModelSamplingDiscrete', inputs: { model: ['4', 0], sampling: 'lcm', zsnr: false } },
  '6': { class_type: 'CLIPTextEncode', inputs: { clip: ['4', 1], text: 'a photograph of a lighthouse at dusk' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: size, height: size, batch_size: 1 } },
  '3': {
    class_type: 'KSampler',
    inputs: { model: ['10', 0], seed, steps, cfg: 1, sampler_name: 'lcm', scheduler: 'sgm_uniform', positive: ['6', 0], negative: ['6', 0], latent_image: ['5', 0], denoise: 1, attention: 'auto' },
  },
  '11': { class_type: 'VAELoader', inputs: { vae_name: 'taesd' } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['11', 0] } },
  '9': { class_type: 'SaveImage', inputs: { images: ['8', 0], filename_prefix: 'lcm-taesd' } },
});

const vmHWM = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
const host = createHost({ dataDir: path.join(os.tmpdir(), `latentflow-bench-lcm-${process.pid}`), modelsDir });

const faults: number[] = [], systemSeconds: number[] = [];
async function run(seed: number): Promise<number> {
  const prepared = prepareWorkflow(host, workflow(seed));
  const usage0 = process.resourceUsage();
  const t0 = performance.now();
  const result = await executeGraph(prepared.prompt, host.registry, {
    signal: new AbortController().signal,
    cache: host.cache,
    memoryProbe: nativeMemoryProbe,
    services: { paths: host.paths, memoryBudgetBytes: host.memoryBudgetBytes },
    onEvent: () => {},
  });
  if (result.status !== 'success') throw new Error(`run failed: ${JSON.stringify(result.issues)}`);
  const wall = (performance.now() - t0) / 1000;
  const usage = process.resourceUsage();
  faults.push(usage.minorPageFault - usage0.minorPageFault + usage.majorPageFault - usage0.majorPageFault);
  systemSeconds.push((usage.systemCPUTime - usage0.systemCPUTime) / 1e6);
  return wall;
}

const cold = await run(1);
const rssCold = vmHWM();
const warm: number[] = [];
for (let i = 0; i < repeat; i++) warm.push(await run(2 + i));
// Page faults and system seconds per run (the cold one first): what a warm run still maps and zeroes.
console.log(JSON.stringify({ cold, warm, peakRssAfterColdBytes: rssCold, peakRssBytes: vmHWM(), faults, systemSeconds }));
