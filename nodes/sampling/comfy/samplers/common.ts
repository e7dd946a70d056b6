// What every ComfyUI sampler shares: its signature, the noise samplers and small vector steps.
//
// A sampler walks x down the sigmas with a denoiser (x, sigma) -> x0 prediction (guidance applied), exactly as
// comfy/k_diffusion/sampling.py's sample_* functions: it reports each step's x0 through `onStep`, and draws its
// ancestral noise from a generator seeded `seed + 1` (ComfyUI's default_noise_sampler on the CPU) or its SDE
// noise from a Brownian tree seeded `seed`. Vectors are float32; each line's arithmetic runs in float64 and is
// rounded once when stored (torch rounds after every operation: differences are ~1e-7 relative).

import { expF32 } from '../../float32.ts';
import { randn, TorchGenerator } from '../../rng.ts';
import type { LatentShape } from '../../sample.ts';
import { BrownianTreeNoiseSampler } from '../brownian-tree.ts';
import type { ModelSampling } from '../model-sampling.ts';

const f = Math.fround;

export type Denoiser = (x: Float32Array, sigma: number) => Promise<Float32Array>;

export interface SamplerRun {
  denoise: Denoiser;
  /** The sigmas to walk, descending, usually ending in 0. */
  sigmas: readonly number[];
  shape: LatentShape;
  /** The noise seed (ComfyUI's extra_args["seed"]). */
  seed: bigint;
  modelSampling: ModelSampling;
  /** After each step's model call: step index, the x0 prediction, x before the step. */
  onStep(step: number, denoised: Float32Array, x: Float32Array): void;
  signal?: AbortSignal;
}

export type SamplerFunction = (x: Float32Array, run: SamplerRun) => Promise<Float32Array>;

export type NoiseSampler = (sigma: number, sigmaNext: number) => Float32Array;

const TWO_64 = 1n << 64n;

/** ComfyUI's default_noise_sampler: torch.randn(x.shape) from one CPU generator seeded seed + 1, call after call. */
export function defaultNoiseSampler(run: SamplerRun): NoiseSampler {
  const generator = new TorchGenerator((run.seed + 1n) % TWO_64);
  return () => randn(run.shape, generator);
}

/** ComfyUI's BrownianTreeNoiseSampler over the schedule's range [min sigma > 0, max sigma]. */
export function brownianNoiseSampler(run: SamplerRun): NoiseSampler {
  const positive = run.sigmas.filter((s) => s > 0);
  const sampler = new BrownianTreeNoiseSampler(run.shape, Math.min(...positive), Math.max(...run.sigmas), run.seed);
  return (sigma, sigmaNext) => sampler.noise(sigma, sigmaNext);
}

/**
 * k-diffusion's get_ancestral_step: the sigma to step down to and the noise to add back,
 *   up = min(to, eta sqrt(to^2 (from^2 - to^2) / from^2)),  down = sqrt(to^2 - up^2),
 * in float32 as torch computes it on the 0-d sigma tensors (from^2 - to^2 cancels: close sigmas need torch's rounding).
 */
export function ancestralStep(sigmaFrom: number, sigmaTo: number, eta = 1): { down: number; up: number } {
  if (!eta) return { down: sigmaTo, up: 0 };
  const to2 = f(sigmaTo * sigmaTo);
  const from2 = f(sigmaFrom * sigmaFrom);
  const up = Math.min(sigmaTo, f(eta * f(Math.sqrt(f(f(to2 * f(from2 - to2)) / from2)))));
  return { down: f(Math.sqrt(f(to2 - f(up * up)))), up };
}

/** Scalar torch float32 operations on 0-d sigma tensors: log, exp (SLEEF's expf), expm1. */
export const logF = (x: number): number => f(Math.log(x));
export const expF = (x: number): number => expF32(x);
export const expm1F = (x: number): number => f(Math.expm1(x));

/** d = (x - x0) / sigma (the Karras ODE derivative). */
export function toD(x: Float32Array, sigma: number, denoised: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = (x[k] - denoised[k]) / sigma;
  return out;
}

/** Calls the denoiser, checking cancellation first and the result's size after. */
export async function callModel(run: SamplerRun, x: Float32Array, sigma: number): Promise<Float32Array> {
  run.signal?.throwIfAborted();
  const denoised = await run.denoise(x, sigma);
  if (denoised.length !== x.length) throw new Error(`sampling: the model returned ${denoised.length} values at sigma ${sigma}, expected ${x.length}.`);
  return denoised;
}
