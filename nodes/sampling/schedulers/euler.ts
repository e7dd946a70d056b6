// Euler (Karras et al. 2022, Algorithm 2 without churn), equal to diffusers 0.27.2 EulerDiscreteScheduler.
// In sigma space x = x0 + sigma * eps; the model sees x / sqrt(sigma^2 + 1) and the step is
//   x0 = x - sigma_i * eps,  d = (x - x0) / sigma_i,  x_next = x + d * (sigma_{i+1} - sigma_i).
// Also home of the sigma schedule shared by Euler, Euler ancestral and LMS.

import {
  type BaseConfig,
  checkIndex,
  checkSameLength,
  checkSteps,
  karrasSigmas,
  logF32,
  noiseSchedule,
  npArange,
  npInterpUnitGrid,
  npLinspace,
  resolveBaseConfig,
  roundHalfEven,
  type SamplerName,
  type ScheduleName,
  type Scheduler,
  type SchedulerConfigFile,
  sigmaToT,
  type StepResult,
  trainingSigmas,
} from './schedule.ts';

const f = Math.fround;

export interface SigmaSchedule {
  config: BaseConfig;
  /** Model timesteps (float32 values; float64 for LMS with Karras sigmas, as diffusers keeps them). */
  timesteps: number[];
  /** sigma_0 .. sigma_{n-1}, 0 as float32 values. */
  sigmas: number[];
  initNoiseSigma: number;
}

/**
 * Timesteps and sigmas of the sigma-based discrete schedulers (Euler, Euler ancestral, LMS), diffusers 0.27.2:
 * float32 timesteps by the spacing ('linspace': np.linspace(0, T - 1, n, dtype=float32) descending), sigmas by
 * np.interp of the training sigmas at those timesteps (float64), or the Karras schedule between the end sigmas with
 * timesteps from _sigma_to_t; a final 0 appended; float32.
 */
export function sigmaSchedule(
  file: SchedulerConfigFile,
  sampler: SamplerName,
  schedule: ScheduleName,
  steps: number,
  options: { float64KarrasTimesteps?: boolean; sigmaRange?: boolean } = {},
): SigmaSchedule {
  const config = resolveBaseConfig(file, sampler, { timestepSpacing: 'linspace' });
  checkSteps(steps, config, sampler);
  const interpolation = file.interpolation_type ?? 'linear';
  if (interpolation !== 'linear') throw new Error(`scheduler_config.json (${sampler}): interpolation_type "${interpolation}" is not supported; use "linear".`);
  const T = config.numTrainTimesteps;
  let timesteps: number[];
  if (config.timestepSpacing === 'linspace') timesteps = npLinspace(0, T - 1, steps).map(f).reverse();
  else if (config.timestepSpacing === 'leading') {
    const ratio = Math.floor(T / steps);
    timesteps = Array.from({ length: steps }, (_, i) => f(i * ratio + config.stepsOffset)).reverse();
  } else timesteps = npArange(T, 0, -(T / steps)).map((t) => f(roundHalfEven(t) - 1));

  const { alphasCumprod } = noiseSchedule(config);
  const training = trainingSigmas(alphasCumprod);
  let sigmas = timesteps.map((t) => npInterpUnitGrid(t, training));
  if (schedule === 'karras') {
    // Euler's config may pin the range (sigma_min / sigma_max); otherwise the ends of the interpolated sigmas.
    const sigmaMin = (options.sigmaRange ? file.sigma_min : null) ?? sigmas[sigmas.length - 1];
    const sigmaMax = (options.sigmaRange ? file.sigma_max : null) ?? sigmas[0];
    sigmas = karrasSigmas(sigmaMin, sigmaMax, steps);
    const logSigmas = logF32(training);
    timesteps = sigmas.map((sigma) => sigmaToT(sigma, logSigmas));
    if (!options.float64KarrasTimesteps) timesteps = timesteps.map(f);
  }
  const sigmasF32 = [...sigmas.map(f), 0];
  // init_noise_sigma: sigma_max for 'linspace'/'trailing', sqrt(sigma_max^2 + 1) for 'leading' (float32).
  const sigmaMax = Math.max(...sigmasF32);
  const initNoiseSigma = config.timestepSpacing === 'leading' ? f(Math.sqrt(f(f(sigmaMax * sigmaMax) + 1))) : sigmaMax;
  return { config, timesteps, sigmas: sigmasF32, initNoiseSigma };
}

/** x / sqrt(sigma^2 + 1), float32 (scale_model_input of the sigma-based schedulers). */
export function scaleBySigma(x: Float32Array, sigma: number): Float32Array {
  const denominator = f(Math.sqrt(f(f(sigma * sigma) + 1)));
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = f(x[k] / denominator);
  return out;
}

/** original + noise * sigma, float32 (add_noise of the sigma-based schedulers). */
export function addNoiseSigma(name: SamplerName, original: Float32Array, noise: Float32Array, sigma: number): Float32Array {
  checkSameLength(name, noise, original, 'the noise');
  const out = new Float32Array(original.length);
  for (let k = 0; k < out.length; k++) out[k] = f(original[k] + f(noise[k] * sigma));
  return out;
}

/**
 * One Euler step in float32 as diffusers computes it: x0 = x - sigma * eps, d = (x - x0) / sigma,
 * x_next = x + d * dt (Euler ancestral steps to sigma_down and adds its noise afterwards).
 */
export function eulerStep(eps: Float32Array, x: Float32Array, sigma: number, dt: number): StepResult {
  const x0 = new Float32Array(x.length);
  const prev = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const predicted = f(x[k] - f(sigma * eps[k]));
    const derivative = f(f(x[k] - predicted) / sigma);
    x0[k] = predicted;
    prev[k] = f(x[k] + f(derivative * dt));
  }
  return { prevSample: prev, predOriginalSample: x0 };
}

export function createEuler(file: SchedulerConfigFile, schedule: ScheduleName, steps: number): Scheduler {
  const { timesteps, sigmas, initNoiseSigma } = sigmaSchedule(file, 'euler', schedule, steps, { sigmaRange: true });
  return {
    name: 'euler',
    schedule,
    timesteps,
    sigmas,
    initNoiseSigma,
    scaleModelInput: (x, i) => scaleBySigma(x, sigmas[i]),
    setBeginIndex: () => {},

    step(eps, i, x): StepResult {
      checkIndex('euler', i, timesteps.length);
      checkSameLength('euler', eps, x, 'the model output');
      // s_churn = 0: gamma = 0 and sigma_hat = sigma * (0 + 1) = sigma.
      return eulerStep(eps, x, sigmas[i], f(sigmas[i + 1] - sigmas[i]));
    },

    addNoise: (original, noise, i) => addNoiseSigma('euler', original, noise, sigmas[i]),
  };
}
