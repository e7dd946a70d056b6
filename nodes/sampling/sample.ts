// The sampling loop, generic over the denoiser: seeded initial noise, classifier-free guidance, one scheduler step
// per timestep, img2img start (denoise < 1), progress, previews and cancellation between steps. Behaves like
// diffusers 0.27.2's StableDiffusionPipeline / StableDiffusionImg2ImgPipeline loops:
//   txt2img: x = randn(shape, Generator().manual_seed(seed)) * init_noise_sigma
//   img2img: k = floor(steps * denoise) steps are run, the first steps - k skipped, and
//            x = scheduler.add_noise(latent, randn(shape, generator), first kept timestep)
//   each step: eps = model(scale_model_input(cat[x, x]), t, cat[negative, positive]),
//              eps = eps_uncond + cfg * (eps_cond - eps_uncond),  x = scheduler.step(eps, t, x, generator)
// The same generator then feeds Euler ancestral's per-step noise, as diffusers passes it to every step.

import { latentToRgbPreview, type PreviewImage } from './preview.ts';
import { randn, TorchGenerator } from './rng.ts';
import { create, type SamplerName, type ScheduleName, type Scheduler, type SchedulerConfigFile } from './schedulers/index.ts';

const f = Math.fround;

/** Latent shape [batch, channels, height, width] (NCHW, row-major). */
/** SDXL's added conditioning rows: pooled text embeddings [B, P] and time ids [B, 6]. */
export interface AddedConditioning {
  textEmbeds: Float32Array;
  timeIds: Float32Array;
}

export type LatentShape = readonly [batch: number, channels: number, height: number, width: number];

/** Text conditioning: embeddings [batch, tokens, dim], batch 1 (shared) or the latent batch. */
export interface Conditioning {
  data: Float32Array;
  shape: readonly [batch: number, tokens: number, dim: number];
  /** SDXL's added conditioning, one row per batch element (same batch as `data`). */
  added?: AddedConditioning;
}

/**
 * The denoiser: the predicted noise for latents x (already scale_model_input'ed) at model timestep t, conditioned on
 * `context` whose batch equals x's. Returns a Float32Array of x's length.
 */
export type PredictNoise = (x: Float32Array, shape: LatentShape, t: number, context: Conditioning) => Promise<Float32Array>;

export interface SampleProgress {
  /** Steps done so far (1 .. total). */
  step: number;
  total: number;
  /** The model timestep of the step just done. */
  timestep: number;
}

export interface SampleOptions {
  predictNoise: PredictNoise;
  sampler: SamplerName;
  schedule: ScheduleName;
  /** The model's scheduler_config.json, parsed. */
  schedulerConfig: SchedulerConfigFile;
  steps: number;
  /** Guidance scale; exactly 1 runs the conditional pass only. */
  cfg: number;
  /** torch.Generator().manual_seed(seed): an integer in [0, 2^64). */
  seed: number | bigint;
  positive: Conditioning;
  negative: Conditioning;
  shape: LatentShape;
  /** img2img / denoise from an existing latent (model space, i.e. VAE latent times its scaling factor). */
  initLatent?: Float32Array;
  /** Fraction of the schedule to run, (0, 1]; < 1 needs initLatent. Default 1. */
  denoise?: number;
  signal?: AbortSignal;
  onProgress?: (progress: SampleProgress) => void;
  /** Called after every step with the latents so far (the loop's own array: copy it to keep it). */
  onLatents?: (step: number, latents: Float32Array) => void;
  /** Called after every step with the preview of the current x0 estimate of the first latent. */
  onPreview?: (preview: PreviewImage & { step: number }) => void;
  /** Called after every step with the current x0 estimate [B, C, h, w] (the loop's own array: copy it to keep it). */
  onDenoised?: (step: number, denoised: Float32Array) => void;
}

/**
 * Runs the whole loop and returns the final latents [B, C, H, W].
 *
 * @example
 *   const latents = await sample({ predictNoise, sampler: 'euler', schedule: 'normal', schedulerConfig, steps: 20,
 *     cfg: 7.5, seed: 42, positive, negative, shape: [1, 4, 64, 64] });
 */
export async function sample(options: SampleOptions): Promise<Float32Array> {
  const { shape, cfg } = options;
  checkShape(shape);
  const numel = shape[0] * shape[1] * shape[2] * shape[3];
  if (!Number.isFinite(cfg)) throw new Error(`sampling: cfg must be a finite number, got ${cfg}.`);
  const denoise = options.denoise ?? 1;
  if (!(denoise > 0 && denoise <= 1)) throw new Error(`sampling: denoise must be in (0, 1], got ${denoise}.`);
  if (denoise < 1 && !options.initLatent) {
    throw new Error('sampling: denoise < 1 needs an input latent (img2img); connect one or set denoise to 1.');
  }
  if (options.initLatent && options.initLatent.length !== numel) {
    throw new Error(`sampling: the input latent has ${options.initLatent.length} values, expected ${numel} for shape [${shape.join(', ')}].`);
  }
  const positive = expandBatch(options.positive, shape[0], 'positive');
  const negative = cfg === 1 ? positive : expandBatch(options.negative, shape[0], 'negative');
  const guidance = cfg === 1 ? null : concatBatch(negative, positive);

  const scheduler = create(options.sampler, options.schedule, options.schedulerConfig, options.steps);
  const startIndex = img2imgStartIndex(options.steps, denoise, scheduler);
  const generator = new TorchGenerator(options.seed);
  const noise = randn(shape, generator);
  let x: Float32Array;
  if (options.initLatent) {
    if (startIndex >= scheduler.timesteps.length) return options.initLatent.slice(); // nothing left to denoise
    scheduler.setBeginIndex(startIndex);
    x = scheduler.addNoise(options.initLatent, noise, startIndex);
  } else {
    x = noise.map((v) => f(v * scheduler.initNoiseSigma));
  }

  const total = scheduler.timesteps.length - startIndex;
  for (let i = startIndex; i < scheduler.timesteps.length; i++) {
    options.signal?.throwIfAborted();
    const t = scheduler.timesteps[i];
    const input = scheduler.scaleModelInput(x, i);
    let eps: Float32Array;
    if (guidance) {
      const doubled: LatentShape = [2 * shape[0], shape[1], shape[2], shape[3]];
      const both = checkOutput(await options.predictNoise(concatArrays(input, input), doubled, t, guidance), 2 * numel, t);
      eps = cfgCombine(both.subarray(0, numel), both.subarray(numel), cfg);
    } else {
      eps = checkOutput(await options.predictNoise(input, shape, t, positive), numel, t);
    }
    const result = scheduler.step(eps, i, x, generator);
    x = result.prevSample;
    options.onLatents?.(i - startIndex + 1, x);
    options.onProgress?.({ step: i - startIndex + 1, total, timestep: t });
    if (options.onDenoised) options.onDenoised(i - startIndex + 1, result.predOriginalSample);
    if (options.onPreview) options.onPreview({ step: i - startIndex + 1, ...latentToRgbPreview(result.predOriginalSample, shape[2], shape[3]) });
  }
  return x;
}

/**
 * The first schedule index img2img runs (diffusers get_timesteps): floor(steps * denoise) steps are kept,
 * t_start = steps - kept, and the scheduler's timestep list is entered at t_start (PNDM's extra repeated timestep
 * stays at the end, as in diffusers).
 */
export function img2imgStartIndex(steps: number, denoise: number, scheduler: Pick<Scheduler, 'timesteps'>): number {
  const kept = Math.min(Math.floor(steps * denoise), steps);
  const start = Math.max(steps - kept, 0);
  return Math.min(start, scheduler.timesteps.length);
}

/** Classifier-free guidance in float32: uncond + cfg * (cond - uncond). */
export function cfgCombine(uncond: Float32Array, cond: Float32Array, cfg: number): Float32Array {
  const scale = f(cfg);
  const out = new Float32Array(uncond.length);
  for (let k = 0; k < out.length; k++) out[k] = f(uncond[k] + f(scale * f(cond[k] - uncond[k])));
  return out;
}

/** Conditioning with batch `batch` (a batch-1 conditioning is repeated). */
export function expandBatch(conditioning: Conditioning, batch: number, name: string): Conditioning {
  const [b, tokens, dim] = conditioning.shape;
  if (conditioning.data.length !== b * tokens * dim) {
    throw new Error(`sampling: ${name} conditioning has ${conditioning.data.length} values, not [${conditioning.shape.join(', ')}].`);
  }
  if (b === batch) return conditioning;
  if (b !== 1) throw new Error(`sampling: ${name} conditioning has batch ${b} but the latent batch is ${batch}; use batch 1 or ${batch}.`);
  const data = new Float32Array(batch * tokens * dim);
  for (let i = 0; i < batch; i++) data.set(conditioning.data, i * tokens * dim);
  const added = conditioning.added && { textEmbeds: repeatRows(conditioning.added.textEmbeds, batch), timeIds: repeatRows(conditioning.added.timeIds, batch) };
  return { data, shape: [batch, tokens, dim], ...(added ? { added } : {}) };
}

function repeatRows(row: Float32Array, times: number): Float32Array {
  const out = new Float32Array(row.length * times);
  for (let i = 0; i < times; i++) out.set(row, i * row.length);
  return out;
}

/** [first; second] along the batch (diffusers' cat([negative, positive])). */
export function concatBatch(first: Conditioning, second: Conditioning): Conditioning {
  if (first.shape[1] !== second.shape[1] || first.shape[2] !== second.shape[2]) {
    throw new Error(
      `sampling: negative conditioning [${first.shape.join(', ')}] and positive [${second.shape.join(', ')}] differ in tokens or width; encode both with the same text encoder.`,
    );
  }
  if (!first.added !== !second.added) throw new Error('sampling: one side has SDXL\'s pooled conditioning and the other not; encode both with the same CLIP.');
  const added = first.added && second.added
    ? { textEmbeds: concatArrays(first.added.textEmbeds, second.added.textEmbeds), timeIds: concatArrays(first.added.timeIds, second.added.timeIds) }
    : undefined;
  return { data: concatArrays(first.data, second.data), shape: [first.shape[0] + second.shape[0], first.shape[1], first.shape[2]], ...(added ? { added } : {}) };
}

function concatArrays(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function checkShape(shape: LatentShape): void {
  if (shape.length !== 4 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`sampling: latent shape must be [batch, channels, height, width] of positive integers, got [${shape.join(', ')}].`);
  }
}

function checkOutput(output: Float32Array, expected: number, t: number): Float32Array {
  if (!(output instanceof Float32Array) || output.length !== expected) {
    throw new Error(`sampling: the model returned ${output?.length} values at timestep ${t}, expected ${expected}.`);
  }
  return output;
}
