// PNDM in its PLMS form (skip_prk_steps, crowsonkb's PLMS sampler), equal to diffusers 0.27.2 PNDMScheduler.
// Timesteps: the 'leading' grid with the second-to-last kept twice, descending, e.g. 4 steps: [751, 501, 501, 251, 1].
// Step n combines the stored noise predictions e (newest first) with Adams-Bashforth weights:
//   n = 0: e0 (and the sample is remembered)     n = 1: (e_new + e0) / 2, restarting from the remembered sample
//   then (3 e1 - e2) / 2, (23 e1 - 16 e2 + 5 e3) / 12, (55 e1 - 59 e2 + 37 e3 - 9 e4) / 24,
// and moves x from t to t - T/steps with formula (9) of Liu et al. (2022):
//   x_prev = sqrt(a_prev / a_t) x - (a_prev - a_t) e / (a_t sqrt(1 - a_prev) + sqrt(a_t (1 - a_t) a_prev)).

import { addNoiseAlphas, discreteTimesteps } from './ddim.ts';
import {
  checkIndex,
  checkSameLength,
  checkSteps,
  noiseSchedule,
  resolveBaseConfig,
  type Scheduler,
  type SchedulerConfigFile,
  type StepResult,
} from './schedule.ts';

const f = Math.fround;

export function createPndm(file: SchedulerConfigFile, steps: number): Scheduler {
  const config = resolveBaseConfig(file, 'pndm', { timestepSpacing: 'leading' });
  checkSteps(steps, config, 'pndm');
  if (!(file.skip_prk_steps ?? false)) {
    throw new Error('scheduler_config.json (pndm): skip_prk_steps is false; only the PLMS form (skip_prk_steps: true, as SD 1.x ships) is implemented.');
  }
  const { alphasCumprod } = noiseSchedule(config);
  const finalAlphaCumprod = (file.set_alpha_to_one ?? false) ? 1 : alphasCumprod[0];
  // diffusers keeps _timesteps ascending; plms = [t_0 .. t_{n-2}, t_{n-2}, t_{n-1}] reversed.
  const grid = discreteTimesteps(config, steps).reverse();
  const timesteps = steps === 1 ? [...grid] : [...grid.slice(0, -1), grid[grid.length - 2], grid[grid.length - 1]].reverse();
  const stride = Math.floor(config.numTrainTimesteps / steps);
  const alphaAt = (t: number) => (t >= 0 ? alphasCumprod[t] : finalAlphaCumprod);

  // Multistep state (diffusers: ets, counter, cur_sample).
  let ets: Float32Array[] = [];
  let counter = 0;
  let curSample: Float32Array | null = null;

  function prevSample(x: Float32Array, t: number, tPrev: number, eps: Float32Array): Float32Array {
    const alphaProd = alphaAt(t);
    const alphaProdPrev = alphaAt(tPrev);
    const betaProd = f(1 - alphaProd);
    const betaProdPrev = f(1 - alphaProdPrev);
    const sampleCoeff = f(Math.sqrt(f(alphaProdPrev / alphaProd)));
    const denominator = f(
      f(alphaProd * f(Math.sqrt(betaProdPrev))) + f(Math.sqrt(f(f(alphaProd * betaProd) * alphaProdPrev))),
    );
    const difference = f(alphaProdPrev - alphaProd);
    const out = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) out[k] = f(f(sampleCoeff * x[k]) - f(f(difference * eps[k]) / denominator));
    return out;
  }

  return {
    name: 'pndm',
    schedule: 'normal',
    timesteps,
    initNoiseSigma: 1,
    scaleModelInput: (x) => x,

    setBeginIndex() {
      ets = [];
      counter = 0;
      curSample = null;
    },

    step(modelOutput, i, x): StepResult {
      checkIndex('pndm', i, timesteps.length);
      checkSameLength('pndm', modelOutput, x, 'the model output');
      let t = timesteps[i];
      let tPrev = t - stride;
      if (counter !== 1) {
        ets = ets.slice(-3);
        ets.push(modelOutput);
      } else {
        // The repeated timestep: a correction step from the same t to the same t_prev as step 0.
        tPrev = t;
        t = t + stride;
      }
      let eps: Float32Array;
      let sample = x;
      const e = (back: number) => ets[ets.length - back];
      if (ets.length === 1 && counter === 0) {
        eps = modelOutput;
        curSample = x;
      } else if (ets.length === 1 && counter === 1) {
        eps = modelOutput.map((v, k) => f(f(v + e(1)[k]) / 2));
        sample = curSample ?? x;
        curSample = null;
      } else if (ets.length === 2) {
        eps = e(1).map((v, k) => f(f(f(3 * v) - e(2)[k]) / 2));
      } else if (ets.length === 3) {
        eps = e(1).map((v, k) => f(f(f(f(23 * v) - f(16 * e(2)[k])) + f(5 * e(3)[k])) / 12));
      } else {
        const oneOver24 = f(1 / 24);
        eps = e(1).map((v, k) =>
          f(oneOver24 * f(f(f(f(55 * v) - f(59 * e(2)[k])) + f(37 * e(3)[k])) - f(9 * e(4)[k]))),
        );
      }
      counter++;
      // diffusers' PNDM returns no x0; we add the DDIM-style estimate from this step's own prediction (preview only).
      const alphaNow = alphaAt(timesteps[i]);
      const sqrtBeta = f(Math.sqrt(f(1 - alphaNow)));
      const sqrtAlpha = f(Math.sqrt(alphaNow));
      const x0 = x.map((v, k) => f(f(v - f(sqrtBeta * modelOutput[k])) / sqrtAlpha));
      return { prevSample: prevSample(sample, t, tPrev, eps), predOriginalSample: x0 };
    },

    addNoise: (original, noise, i) => addNoiseAlphas('pndm', original, noise, alphasCumprod[timesteps[i]]),
  };
}
