// What every scheduler shares: the model's scheduler_config.json, the training noise schedule (betas,
// alphas_cumprod), timestep spacing, sigma interpolation and the Karras schedule, each computed with the dtypes
// diffusers 0.27.2 uses, so that timesteps and sigmas equal diffusers' to the last bit where possible:
// * torch float32 for the noise schedule (betas from torch.linspace, cumprod, sigmas = ((1 - a) / a) ** 0.5);
// * numpy float64 for timestep arithmetic, np.interp, the Karras ramp and _sigma_to_t.
// Float32 values are JS numbers rounded with Math.fround after every operation that torch rounds.

import { fmaF32 } from '../float32.ts';
import type { TorchGenerator } from '../rng.ts';

const f = Math.fround;

// ---- the interface of a scheduler --------------------------------------------------------------------------------

/** Sampler ids (ComfyUI's names where they exist; `pndm` is diffusers' PLMS, SD 1.x's default scheduler). */
export const SAMPLER_NAMES = ['ddim', 'pndm', 'euler', 'euler_ancestral', 'lms', 'dpmpp_2m'] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

/** `normal`: the timesteps/sigmas diffusers computes; `karras`: diffusers' use_karras_sigmas=True. */
export const SCHEDULE_NAMES = ['normal', 'karras'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

export interface StepResult {
  /** x at the next (less noisy) timestep. */
  prevSample: Float32Array;
  /** The model's estimate of the clean latent x0 at this step (what previews show). */
  predOriginalSample: Float32Array;
}

/**
 * A configured scheduler: timesteps for `steps` inference steps and a stateful `step`. Index i runs over
 * `timesteps` in order (PNDM's list repeats one timestep and is one longer than `steps`); multistep methods keep
 * their history internally, so `step` must be called with i = 0, 1, 2, ... (or from `startIndex` for img2img).
 */
export interface Scheduler {
  readonly name: SamplerName;
  readonly schedule: ScheduleName;
  /** Timesteps given to the model, in the order they are used (integers, or float32 values for Euler/LMS). */
  readonly timesteps: readonly number[];
  /** Noise levels sigma_i (length timesteps + 1, last 0) for sigma-based schedulers, float32 values. */
  readonly sigmas?: readonly number[];
  /** Standard deviation of the initial noise: x_T = randn * initNoiseSigma. */
  readonly initNoiseSigma: number;
  /** x scaled for the model at index i (Euler/LMS divide by sqrt(sigma^2 + 1); others return x). */
  scaleModelInput(x: Float32Array, i: number): Float32Array;
  /** One step from index i; `generator` supplies Euler-ancestral's noise (torch.randn of x's shape). */
  step(modelOutput: Float32Array, i: number, x: Float32Array, generator?: TorchGenerator): StepResult;
  /** A clean latent noised to the level of index i (diffusers add_noise; img2img's start). */
  addNoise(original: Float32Array, noise: Float32Array, i: number): Float32Array;
  /** Begin stepping at index i instead of 0 (img2img skips the first steps); resets the multistep history. */
  setBeginIndex(i: number): void;
}

// ---- scheduler_config.json ----------------------------------------------------------------------------------------

/** The subset of diffusers' scheduler_config.json that these schedulers read (snake_case as in the file). */
export interface SchedulerConfigFile {
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: string;
  trained_betas?: number[] | null;
  steps_offset?: number;
  prediction_type?: string;
  timestep_spacing?: string;
  set_alpha_to_one?: boolean;
  clip_sample?: boolean;
  clip_sample_range?: number;
  skip_prk_steps?: boolean;
  thresholding?: boolean;
  rescale_betas_zero_snr?: boolean;
  interpolation_type?: string;
  sigma_min?: number | null;
  sigma_max?: number | null;
  solver_order?: number;
  algorithm_type?: string;
  solver_type?: string;
  lower_order_final?: boolean;
  euler_at_final?: boolean;
  final_sigmas_type?: string;
  lambda_min_clipped?: number | null;
  use_lu_lambdas?: boolean;
  variance_type?: string | null;
  [other: string]: unknown;
}

export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

/** The options common to all schedulers, resolved against one scheduler class's defaults. */
export interface BaseConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
  trainedBetas: number[] | null;
  stepsOffset: number;
  timestepSpacing: TimestepSpacing;
}

/** Each class's own diffusers 0.27.2 defaults for the options the file may leave out. */
export interface ClassDefaults {
  timestepSpacing: TimestepSpacing;
}

/** Reads the options every scheduler uses, with diffusers' defaults; refuses options we do not implement. */
export function resolveBaseConfig(file: SchedulerConfigFile, sampler: SamplerName, defaults: ClassDefaults): BaseConfig {
  const where = `scheduler_config.json (${sampler})`;
  const numTrainTimesteps = integerOption(file.num_train_timesteps, 1000, 'num_train_timesteps', where, 2);
  const betaSchedule = file.beta_schedule ?? 'linear';
  if (betaSchedule !== 'linear' && betaSchedule !== 'scaled_linear' && betaSchedule !== 'squaredcos_cap_v2') {
    throw new Error(`${where}: beta_schedule "${betaSchedule}" is not supported; use linear, scaled_linear or squaredcos_cap_v2.`);
  }
  const trainedBetas = file.trained_betas ?? null;
  if (trainedBetas !== null && (!Array.isArray(trainedBetas) || trainedBetas.length !== numTrainTimesteps)) {
    throw new Error(`${where}: trained_betas must be an array of num_train_timesteps (${numTrainTimesteps}) numbers.`);
  }
  const timestepSpacing = file.timestep_spacing ?? defaults.timestepSpacing;
  if (timestepSpacing !== 'linspace' && timestepSpacing !== 'leading' && timestepSpacing !== 'trailing') {
    throw new Error(`${where}: timestep_spacing "${timestepSpacing}" is not supported; use linspace, leading or trailing.`);
  }
  const predictionType = file.prediction_type ?? 'epsilon';
  if (predictionType !== 'epsilon') {
    throw new Error(`${where}: prediction_type "${predictionType}" is not supported yet; only "epsilon" models (SD 1.x) can be sampled.`);
  }
  if (file.thresholding) throw new Error(`${where}: thresholding is not supported; set it to false (it is meant for pixel-space models).`);
  if (file.rescale_betas_zero_snr) throw new Error(`${where}: rescale_betas_zero_snr is not supported yet.`);
  return {
    numTrainTimesteps,
    betaStart: numberOption(file.beta_start, 0.0001, 'beta_start', where),
    betaEnd: numberOption(file.beta_end, 0.02, 'beta_end', where),
    betaSchedule,
    trainedBetas,
    stepsOffset: integerOption(file.steps_offset, 0, 'steps_offset', where, 0),
    timestepSpacing,
  };
}

function numberOption(value: unknown, fallback: number, key: string, where: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${where}: ${key} must be a finite number, got ${JSON.stringify(value)}.`);
  return value;
}

function integerOption(value: unknown, fallback: number, key: string, where: string, min: number): number {
  const number = numberOption(value, fallback, key, where);
  if (!Number.isInteger(number) || number < min) throw new Error(`${where}: ${key} must be an integer >= ${min}, got ${number}.`);
  return number;
}

export function checkSteps(steps: number, config: BaseConfig, sampler: SamplerName): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > config.numTrainTimesteps) {
    throw new Error(`${sampler}: steps must be an integer in [1, ${config.numTrainTimesteps}] (num_train_timesteps), got ${steps}.`);
  }
}

// ---- the training noise schedule (torch float32) ------------------------------------------------------------------

/**
 * betas [T] and alphas_cumprod [T] as diffusers' __init__ builds them in torch float32:
 * scaled_linear = torch.linspace(sqrt(beta_start), sqrt(beta_end), T) ** 2, linear = torch.linspace(beta_start,
 * beta_end, T), squaredcos_cap_v2 = betas_for_alpha_bar in float64 cast to float32; alphas = 1 - betas;
 * alphas_cumprod = torch.cumprod(alphas), which accumulates in float64 and stores float32.
 */
export function noiseSchedule(config: BaseConfig): { betas: Float32Array; alphasCumprod: Float32Array } {
  const T = config.numTrainTimesteps;
  let betas: Float32Array;
  if (config.trainedBetas) betas = Float32Array.from(config.trainedBetas);
  else if (config.betaSchedule === 'linear') betas = torchLinspaceF32(config.betaStart, config.betaEnd, T);
  else if (config.betaSchedule === 'scaled_linear') {
    betas = torchLinspaceF32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), T).map((b) => f(b * b));
  } else betas = betasForAlphaBarCosine(T);
  const alphasCumprod = new Float32Array(T);
  let product = 1;
  for (let t = 0; t < T; t++) {
    product *= f(1 - betas[t]);
    alphasCumprod[t] = product;
  }
  return { betas, alphasCumprod };
}

/**
 * torch.linspace(start, end, steps, dtype=float32) on an x86 CPU build with AVX2: step = (end - start) / (steps - 1)
 * in float32; element idx = start + step * idx below the halfway point and end - step * (steps - 1 - idx) from it;
 * the vectorised loop (two 8-lane vectors per iteration) computes each vector's first element that way and the other
 * lanes as base + k * step; the remainder runs the scalar formula. GCC fused each multiply-add into one FMA.
 * (Verified: equal bit for bit to the 1000 betas of the fixture.)
 */
export function torchLinspaceF32(startValue: number, endValue: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = startValue;
    return out;
  }
  const start = f(startValue);
  const end = f(endValue);
  const step = f(f(end - start) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const at = (idx: number) => (idx < halfway ? fmaF32(step, idx, start) : fmaF32(-step, steps - idx - 1, end));
  const lanes = 8;
  let i = 0;
  for (; i <= steps - 2 * lanes; i += 2 * lanes) {
    for (const vectorStart of [i, i + lanes]) {
      const base = at(vectorStart);
      for (let k = 0; k < lanes; k++) out[vectorStart + k] = fmaF32(k, step, base);
    }
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}

/** diffusers betas_for_alpha_bar (cosine, max_beta 0.999) in float64, then torch.tensor(..., float32). */
function betasForAlphaBarCosine(T: number): Float32Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
  const betas = new Float32Array(T);
  for (let i = 0; i < T; i++) betas[i] = Math.min(1 - alphaBar((i + 1) / T) / alphaBar(i / T), 0.999);
  return betas;
}

/** The training sigmas ((1 - a) / a) ** 0.5 in torch float32, ascending in t (index = training timestep). */
export function trainingSigmas(alphasCumprod: Float32Array): Float32Array {
  return alphasCumprod.map((a) => f(Math.sqrt(f(f(1 - a) / a))));
}

// ---- numpy float64 helpers -----------------------------------------------------------------------------------------

/** np.linspace(start, stop, num) (endpoint=True): i * ((stop - start) / (num - 1)) + start, last = stop. */
export function npLinspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out: number[] = [];
  for (let i = 0; i < num; i++) out.push(i * step + start);
  out[num - 1] = stop;
  return out;
}

/** np.arange(start, stop, step) for floats: [start, start + step, then start + i * ((start + step) - start)]. */
export function npArange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const out: number[] = [];
  const delta = start + step - start;
  for (let i = 0; i < length; i++) out.push(i === 0 ? start : i === 1 ? start + step : start + i * delta);
  return out;
}

/** np.round: round half to even. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff < 0.5) return floor;
  if (diff > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** np.interp(x, arange(len(ys)), ys) in float64 (numpy's formula: slope * (x - x_j) + y_j). */
export function npInterpUnitGrid(x: number, ys: ArrayLike<number>): number {
  const n = ys.length;
  if (x <= 0) return ys[0];
  if (x >= n - 1) return ys[n - 1];
  const j = Math.floor(x);
  if (j === x) return ys[j];
  const slope = ys[j + 1] - ys[j];
  return slope * (x - j) + ys[j];
}

// ---- timesteps and sigmas -----------------------------------------------------------------------------------------

/**
 * The Karras et al. (2022) schedule (rho = 7) between sigmaMax and sigmaMin over n points, float64
 * (diffusers _convert_to_karras): (max^(1/rho) + ramp * (min^(1/rho) - max^(1/rho))) ^ rho.
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, n: number): number[] {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return npLinspace(0, 1, n).map((r) => (maxInvRho + r * (minInvRho - maxInvRho)) ** rho);
}

/**
 * diffusers _sigma_to_t: the fractional training timestep whose log-sigma matches, by linear interpolation between
 * the two neighbouring training log-sigmas (float64 over the float32 log_sigmas).
 */
export function sigmaToT(sigma: number, logSigmas: ArrayLike<number>): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const n = logSigmas.length;
  // low = the last index whose log-sigma is <= logSigma (0 if none), at most n - 2.
  let low = 0;
  for (let i = 0; i < n; i++) if (logSigma - logSigmas[i] >= 0) low = i;
  low = Math.min(low, n - 2);
  const lowValue = logSigmas[low];
  const highValue = logSigmas[low + 1];
  let w = (lowValue - logSigma) / (lowValue - highValue);
  w = Math.min(Math.max(w, 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/** np.log on a float32 array (float32 result). */
export function logF32(values: Float32Array): Float32Array {
  return values.map((v) => f(Math.log(v)));
}

// ---- small float32 tensor helpers (each one torch elementwise op, rounded once) ------------------------------------

/** x * s (torch: tensor * 0-d tensor), float32. */
export function scaleF32(x: Float32Array, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i] * s);
  return out;
}

/** x / s, float32. */
export function divideF32(x: Float32Array, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f(x[i] / s);
  return out;
}

export function checkSameLength(name: SamplerName, a: Float32Array, b: Float32Array, what: string): void {
  if (a.length !== b.length) throw new Error(`${name}: ${what} has ${a.length} values but the sample has ${b.length}; they must have the same shape.`);
}

export function checkIndex(name: SamplerName, i: number, length: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= length) throw new Error(`${name}: step index ${i} is outside [0, ${length}).`);
}
