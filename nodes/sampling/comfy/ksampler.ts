// ComfyUI's KSampler path (comfy/samplers.py KSampler + CFGGuider.sample + KSAMPLER.sample, comfy/sample.py):
//   sigmas  = scheduler(model sampling, steps) (steps + 1 of them with the penultimate dropped for dpm_2,
//             dpm_2_ancestral, uni_pc, uni_pc_bh2); denoise < 1: the last steps + 1 of int(steps / denoise) steps;
//             KSamplerAdvanced: cut at end_at_step (last sigma set to 0 unless the leftover noise is kept), then
//             from start_at_step;
//   noise   = torch.randn(latent shape, Generator().manual_seed(seed)), the whole batch from one generator
//             (zeros with add_noise off);
//   x       = latent + noise * sigma_0, or noise * sqrt(1 + sigma_0^2) + latent when sigma_0 is the model's top sigma;
//   samples = the sampler's walk over the sigmas with the guided x0 predictions (blended with the input latent
//             outside a noise mask, noise-mask.ts).

import { randn, TorchGenerator } from '../rng.ts';
import type { LatentShape } from '../sample.ts';
import type { Conditioning } from './conditioning.ts';
import { guidedPrediction, prepareConditioning, type UNetCall } from './guidance.ts';
import type { ModelSampling } from './model-sampling.ts';
import { inpaintDenoiser } from './noise-mask.ts';
import type { Denoiser } from './samplers/common.ts';
import { DISCARD_PENULTIMATE_SIGMA_SAMPLERS, type ComfySamplerName, samplerFunction } from './samplers/index.ts';
import { calculateSigmas, type ComfySchedulerName } from './schedulers.ts';

/** The sigmas KSampler walks for (sampler, scheduler, steps, denoise). */
export function ksamplerSigmas(ms: ModelSampling, sampler: ComfySamplerName, scheduler: ComfySchedulerName, steps: number, denoise = 1): number[] {
  const calculate = (n: number) => {
    if (!DISCARD_PENULTIMATE_SIGMA_SAMPLERS.includes(sampler)) return calculateSigmas(ms, scheduler, n);
    const sigmas = calculateSigmas(ms, scheduler, n + 1);
    return [...sigmas.slice(0, -2), sigmas[sigmas.length - 1]];
  };
  if (denoise > 0.9999) return calculate(steps);
  if (denoise <= 0) return [];
  const total = calculate(Math.trunc(steps / denoise));
  return total.slice(Math.max(total.length - (steps + 1), 0));
}

/**
 * KSamplerAdvanced's cut of the schedule: up to end_at_step (its sigma set to 0 with forceFullDenoise), then from
 * start_at_step. `null` means nothing is left to run (ComfyUI returns the input latent).
 */
export function stepRange(sigmas: readonly number[], startStep: number, lastStep: number, forceFullDenoise: boolean): number[] | null {
  let out = [...sigmas];
  if (lastStep < out.length - 1) {
    out = out.slice(0, lastStep + 1);
    if (forceFullDenoise) out[out.length - 1] = 0;
  }
  if (startStep < out.length - 1) return out.slice(startStep);
  return null;
}

/** ComfyUI's prepare_noise: randn of the whole latent batch from Generator().manual_seed(seed). */
export function seededNoise(shape: LatentShape, seed: bigint | number): Float32Array {
  return randn(shape, new TorchGenerator(seed));
}

export interface SampleStep {
  step: number;
  total: number;
  denoised: Float32Array;
}

export interface ComfySampleOptions {
  unet: UNetCall;
  modelSampling: ModelSampling;
  sampler: ComfySamplerName;
  sigmas: readonly number[];
  /** Starting noise (seededNoise, or zeros with add_noise off). */
  noise: Float32Array;
  /** The input latent (model space; zeros for txt2img). */
  latent: Float32Array;
  shape: LatentShape;
  positive: Conditioning;
  /** Missing: no negative pass (BasicGuider). */
  negative?: Conditioning;
  cfg: number;
  /** The noise seed the samplers' own noise derives from. */
  seed: bigint | number;
  signal?: AbortSignal;
  onStep?: (step: SampleStep) => void;
  /** A noise mask at the latent's shape (prepareDenoiseMask): only where it is 1 does sampling change the latent. */
  denoiseMask?: Float32Array;
}

/**
 * Runs ComfyUI's sampling (CFGGuider.sample) and returns the samples and the last x0 prediction (SamplerCustom's
 * denoised_output; the samples themselves when no step ran).
 *
 * @example
 *   const ms = ModelSampling.fromConfig(config);
 *   const sigmas = ksamplerSigmas(ms, 'euler', 'normal', 20);
 *   const { samples } = await comfySample({ unet, modelSampling: ms, sampler: 'euler', sigmas, noise: seededNoise(shape, 42),
 *     latent: new Float32Array(n), shape, positive, negative, cfg: 8, seed: 42 });
 */
export async function comfySample(options: ComfySampleOptions): Promise<{ samples: Float32Array; denoised: Float32Array }> {
  const { modelSampling: ms, sigmas, shape } = options;
  const numel = shape[0] * shape[1] * shape[2] * shape[3];
  for (const [name, value] of [['noise', options.noise], ['latent', options.latent]] as const) {
    if (value.length !== numel) throw new Error(`sampling: the ${name} has ${value.length} values, expected ${numel} for shape [${shape.join(', ')}].`);
  }
  if (!Number.isFinite(options.cfg)) throw new Error(`sampling: cfg must be a finite number, got ${options.cfg}.`);
  if (sigmas.length === 0) return { samples: options.latent.slice(), denoised: options.latent.slice() };
  const conditioning = prepareConditioning(ms, { positive: options.positive, negative: options.negative }, shape[2], shape[3]);
  const maxSigma = ms.sigmaMax;
  const maxDenoise = Math.abs(maxSigma - sigmas[0]) <= 1e-5 * Math.max(Math.abs(maxSigma), Math.abs(sigmas[0])) || sigmas[0] > maxSigma;
  const x = ms.noiseScaling(sigmas[0], options.noise, options.latent, maxDenoise);
  let last: Float32Array | null = null;
  const total = sigmas.length - 1;
  const guided: Denoiser = (input, sigma) => guidedPrediction(options.unet, ms, conditioning, options.cfg, input, shape, sigma);
  if (options.denoiseMask && options.denoiseMask.length !== numel) throw new Error(`sampling: the noise mask has ${options.denoiseMask.length} values, expected ${numel}.`);
  const samples = await samplerFunction(options.sampler)(x, {
    denoise: options.denoiseMask ? inpaintDenoiser(guided, options.denoiseMask, options.latent, options.noise) : guided,
    sigmas,
    shape,
    seed: BigInt(options.seed),
    modelSampling: ms,
    signal: options.signal,
    onStep(step, denoised) {
      last = denoised;
      options.onStep?.({ step: step + 1, total, denoised });
    },
  });
  return { samples, denoised: last ?? samples };
}
