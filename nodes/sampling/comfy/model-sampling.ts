// ComfyUI's model sampling for SD 1.x (comfy/model_sampling.py ModelSamplingDiscrete, and the LCM variant of
// comfy_extras ModelSamplingDiscreteDistilled): the table of 1000 training sigmas, the map between a sigma and
// the model's discrete timestep, and the parameterisation that turns a UNet output into the denoised x0.
//
//   betas  = linspace(sqrt(beta_start), sqrt(beta_end), T) ** 2          (float64; ComfyUI calls it "linear")
//   sigmas = sqrt((1 - alphas_cumprod) / alphas_cumprod)                  (float64, kept as float32, with log)
//   timestep(sigma) = argmin_i |log sigma - log sigmas[i]|                 (what the UNet is fed)
//   eps:  input = x / sqrt(sigma^2 + 1),  denoised = x - sigma * output
//   lcm:  a 50-entry table (every 20th sigma), timestep = 20 i + 19, denoised = c_out x0 + c_skip x
//         with c_skip = 0.25 / (s^2 + 0.25), c_out = s / sqrt(s^2 + 0.25), s = 10 * timestep.

import type { SchedulerConfigFile } from '../schedulers/schedule.ts';

const f = Math.fround;

/** ModelSamplingDiscrete's `sampling` choices. */
export const MODEL_SAMPLING_KINDS = ['eps', 'v_prediction', 'lcm', 'x0'] as const;
export type ModelSamplingKind = (typeof MODEL_SAMPLING_KINDS)[number];

/** How a model is sampled (what the ModelSamplingDiscrete node sets on a MODEL). */
export interface ModelSamplingSpec {
  kind: ModelSamplingKind;
  /** Rescale the schedule to zero terminal SNR (ComfyUI's zsnr). */
  zsnr: boolean;
}

export class ModelSampling {
  /** sigma per table index, ascending (float32). */
  readonly sigmas: Float32Array;
  readonly logSigmas: Float32Array;
  /** Training timesteps per table entry (1, or 20 for LCM's 50-entry table). */
  readonly skipSteps: number;

  constructor(
    readonly kind: ModelSamplingKind,
    sigmas64: Float64Array,
    skipSteps = 1,
  ) {
    this.skipSteps = skipSteps;
    this.sigmas = Float32Array.from(sigmas64);
    this.logSigmas = Float32Array.from(sigmas64, (s) => Math.log(s));
  }

  /**
   * The model sampling of a model with this scheduler_config.json (diffusers' names; SD 1.x's gives ComfyUI's
   * built-in SD 1.x settings: scaled_linear 0.00085 .. 0.012 over 1000 steps).
   */
  static fromConfig(config: SchedulerConfigFile, spec: Partial<ModelSamplingSpec> = {}): ModelSampling {
    const where = 'scheduler_config.json';
    const steps = config.num_train_timesteps ?? 1000;
    const start = config.beta_start ?? 0.00085;
    const end = config.beta_end ?? 0.012;
    const schedule = config.beta_schedule ?? 'scaled_linear';
    if (!Number.isInteger(steps) || steps < 2) throw new Error(`${where}: num_train_timesteps must be an integer >= 2, got ${steps}.`);
    let betas: Float64Array;
    if (config.trained_betas) betas = Float64Array.from(config.trained_betas);
    else if (schedule === 'scaled_linear') betas = linspace64(Math.sqrt(start), Math.sqrt(end), steps).map((b) => b * b);
    else if (schedule === 'linear') betas = linspace64(start, end, steps);
    else throw new Error(`${where}: beta_schedule "${schedule}" is not supported by ComfyUI's samplers here; use scaled_linear or linear, or a diffusers scheduler.`);
    const kind = spec.kind ?? (config.prediction_type === 'v_prediction' ? 'v_prediction' : 'eps');
    let product = 1;
    let sigmas: Float64Array = new Float64Array(betas.length);
    for (let t = 0; t < betas.length; t++) {
      product *= 1 - betas[t];
      sigmas[t] = Math.sqrt((1 - product) / product);
    }
    if (spec.zsnr) sigmas = rescaleZeroTerminalSnr(sigmas);
    if (kind !== 'lcm') return new ModelSampling(kind, sigmas);
    // ModelSamplingDiscreteDistilled: 50 of the float32 sigmas, every skip-th from the end; its log in float32.
    const original = 50;
    const skip = Math.floor(steps / original);
    const full = Float32Array.from(sigmas);
    const valid = new Float64Array(original);
    for (let x = 0; x < original; x++) valid[original - 1 - x] = full[steps - 1 - x * skip];
    return new ModelSampling('lcm', valid, skip);
  }

  get sigmaMin(): number {
    return this.sigmas[0];
  }

  get sigmaMax(): number {
    return this.sigmas[this.sigmas.length - 1];
  }

  /** The model timestep of a sigma: the nearest table log-sigma (first on ties), in training steps. */
  timestep(sigma: number): number {
    const logSigma = f(Math.log(sigma));
    let best = 0;
    let bestDistance = Infinity;
    for (let i = 0; i < this.logSigmas.length; i++) {
      const distance = Math.abs(f(logSigma - this.logSigmas[i]));
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    return best * this.skipSteps + (this.skipSteps - 1);
  }

  /** The sigma of a (fractional) timestep: log-linear interpolation in the table, float32. */
  sigma(timestep: number): number {
    let t = f(timestep);
    if (this.skipSteps !== 1) t = f(f(t - (this.skipSteps - 1)) / this.skipSteps);
    t = Math.min(Math.max(t, 0), this.sigmas.length - 1);
    const low = Math.floor(t);
    const high = Math.ceil(t);
    const w = f(t - Math.trunc(t));
    const logSigma = f(f(f(1 - w) * this.logSigmas[low]) + f(w * this.logSigmas[high]));
    return f(Math.exp(logSigma));
  }

  /** ComfyUI's percent_to_sigma: 0 -> a huge sigma (always active), 1 -> 0. */
  percentToSigma(percent: number): number {
    if (percent <= 0) return 999999999.9;
    if (percent >= 1) return 0;
    return this.sigma(f((1 - percent) * 999));
  }

  /** The UNet's input for x at sigma: x / sqrt(sigma^2 + 1). */
  calculateInput(x: Float32Array, sigma: number): Float32Array {
    const scale = f(Math.sqrt(f(f(sigma * sigma) + 1)));
    const out = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) out[k] = x[k] / scale;
    return out;
  }

  /** The denoised x0 from the UNet output at sigma (input: the x the model was evaluated at, before scaling). */
  calculateDenoised(sigma: number, output: Float32Array, input: Float32Array): Float32Array {
    const out = new Float32Array(output.length);
    switch (this.kind) {
      case 'x0':
        out.set(output);
        return out;
      case 'v_prediction': {
        const v = f(f(sigma * sigma) + 1);
        const a = 1 / v;
        const b = sigma / Math.sqrt(v);
        for (let k = 0; k < out.length; k++) out[k] = input[k] * a - output[k] * b;
        return out;
      }
      case 'eps':
        for (let k = 0; k < out.length; k++) out[k] = input[k] - output[k] * sigma;
        return out;
      case 'lcm': {
        const scaled = f(this.timestep(sigma) * 10);
        const square = f(scaled * scaled);
        const cSkip = f(0.25 / f(square + 0.25));
        const cOut = f(scaled / f(Math.sqrt(f(square + 0.25))));
        for (let k = 0; k < out.length; k++) out[k] = cOut * f(input[k] - output[k] * sigma) + cSkip * input[k];
        return out;
      }
    }
  }

  /**
   * The sampler's starting point: latent + noise * sigma, or noise * sqrt(1 + sigma^2) when sampling starts at
   * the top of the schedule (max_denoise).
   */
  noiseScaling(sigma: number, noise: Float32Array, latent: Float32Array, maxDenoise: boolean): Float32Array {
    const scale = maxDenoise ? f(Math.sqrt(f(1 + f(sigma * sigma)))) : sigma;
    const out = new Float32Array(noise.length);
    for (let k = 0; k < out.length; k++) out[k] = f(noise[k] * scale) + latent[k];
    return out;
  }
}

/** torch.linspace(start, end, n, dtype=float64) (start + step * i below the middle, end - step * (n - 1 - i) from it). */
export function linspace64(start: number, end: number, n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = start;
    return out;
  }
  const step = (end - start) / (n - 1);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) out[i] = i < half ? start + step * i : end - step * (n - 1 - i);
  return out;
}

/** ComfyUI's rescale_zero_terminal_snr_sigmas (float64). */
function rescaleZeroTerminalSnr(sigmas: Float64Array): Float64Array {
  const root = Array.from(sigmas, (s) => Math.sqrt(1 / (s * s + 1)));
  const first = root[0];
  const last = root[root.length - 1];
  const bar = root.map((r) => ((r - last) * (first / (first - last))) ** 2);
  bar[bar.length - 1] = 4.8973451890853435e-8;
  return Float64Array.from(bar, (a) => Math.sqrt((1 - a) / a));
}
