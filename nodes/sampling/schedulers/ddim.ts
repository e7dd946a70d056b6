// DDIM (Song et al. 2020), deterministic (eta = 0), equal to diffusers 0.27.2 DDIMScheduler.
//   x0   = (x_t - sqrt(1 - a_t) * eps) / sqrt(a_t)
//   x_prev = sqrt(a_prev) * x0 + sqrt(1 - a_prev) * eps,     a = alphas_cumprod, prev = t - T / steps
// Timesteps ('leading', the class default): (arange(steps) * (T // steps))[::-1] + steps_offset.

import {
  type BaseConfig,
  checkIndex,
  checkSameLength,
  checkSteps,
  noiseSchedule,
  npArange,
  npLinspace,
  resolveBaseConfig,
  roundHalfEven,
  type Scheduler,
  type SchedulerConfigFile,
  type StepResult,
} from './schedule.ts';

const f = Math.fround;

/** Integer timesteps of DDIM/PNDM-style spacing, descending ('leading' adds steps_offset, 'trailing' subtracts 1). */
export function discreteTimesteps(config: BaseConfig, steps: number): number[] {
  const T = config.numTrainTimesteps;
  if (config.timestepSpacing === 'linspace') return npLinspace(0, T - 1, steps).map(roundHalfEven).reverse();
  if (config.timestepSpacing === 'leading') {
    const ratio = Math.floor(T / steps);
    return Array.from({ length: steps }, (_, i) => i * ratio + config.stepsOffset).reverse();
  }
  return npArange(T, 0, -(T / steps)).map((t) => roundHalfEven(t) - 1);
}

export function createDdim(file: SchedulerConfigFile, steps: number): Scheduler {
  const config = resolveBaseConfig(file, 'ddim', { timestepSpacing: 'leading' });
  checkSteps(steps, config, 'ddim');
  const { alphasCumprod } = noiseSchedule(config);
  // set_alpha_to_one (class default true): the alpha_cumprod used after the last step.
  const finalAlphaCumprod = (file.set_alpha_to_one ?? true) ? 1 : alphasCumprod[0];
  const clipSample = file.clip_sample ?? true;
  const clipRange = file.clip_sample_range ?? 1;
  const timesteps = discreteTimesteps(config, steps);
  const stride = Math.floor(config.numTrainTimesteps / steps);
  const alphaAt = (t: number) => (t >= 0 ? alphasCumprod[t] : finalAlphaCumprod);

  return {
    name: 'ddim',
    schedule: 'normal',
    timesteps,
    initNoiseSigma: 1,
    scaleModelInput: (x) => x,
    setBeginIndex: () => {},

    step(eps, i, x): StepResult {
      checkIndex('ddim', i, timesteps.length);
      checkSameLength('ddim', eps, x, 'the model output');
      const t = timesteps[i];
      const alphaProd = alphaAt(t);
      const alphaProdPrev = alphaAt(t - stride);
      const sqrtBeta = f(Math.sqrt(f(1 - alphaProd)));
      const sqrtAlpha = f(Math.sqrt(alphaProd));
      // eta = 0: std_dev_t = 0, so the direction coefficient sqrt(1 - a_prev - std_dev_t^2) is sqrt(1 - a_prev).
      const directionCoeff = f(Math.sqrt(f(1 - alphaProdPrev)));
      const sqrtAlphaPrev = f(Math.sqrt(alphaProdPrev));
      const x0 = new Float32Array(x.length);
      const prev = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) {
        let predicted = f(f(x[k] - f(sqrtBeta * eps[k])) / sqrtAlpha);
        if (clipSample) predicted = Math.min(Math.max(predicted, -clipRange), clipRange);
        x0[k] = predicted;
        prev[k] = f(f(sqrtAlphaPrev * predicted) + f(directionCoeff * eps[k]));
      }
      return { prevSample: prev, predOriginalSample: x0 };
    },

    addNoise: (original, noise, i) => addNoiseAlphas('ddim', original, noise, alphasCumprod[timesteps[i]]),
  };
}

/** diffusers add_noise for alpha-parameterised schedulers: sqrt(a_t) * x0 + sqrt(1 - a_t) * noise, float32. */
export function addNoiseAlphas(name: 'ddim' | 'pndm', original: Float32Array, noise: Float32Array, alphaProd: number): Float32Array {
  checkSameLength(name, noise, original, 'the noise');
  const sqrtAlpha = f(Math.sqrt(alphaProd));
  const sqrtOneMinus = f(Math.sqrt(f(1 - alphaProd)));
  const out = new Float32Array(original.length);
  for (let k = 0; k < out.length; k++) out[k] = f(f(sqrtAlpha * original[k]) + f(sqrtOneMinus * noise[k]));
  return out;
}
