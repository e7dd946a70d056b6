// DPM-Solver++(2M) (Lu et al. 2022), equal to diffusers 0.27.2 DPMSolverMultistepScheduler with
// algorithm_type dpmsolver++, solver_order 2, solver_type midpoint, lower_order_final, final_sigmas_type zero.
// With alpha_t = 1 / sqrt(sigma^2 + 1), sigma_t = sigma * alpha_t, lambda = log(alpha_t) - log(sigma_t):
//   x0_i = (x - sigma_t eps) / alpha_t                                   (data prediction)
//   first order:  x_next = (sigma_t' / sigma_t) x - alpha_t' (e^-h - 1) x0_i,            h = lambda' - lambda
//   second order: ... - 0.5 alpha_t' (e^-h - 1) D1,  D1 = (x0_i - x0_{i-1}) / r0,  r0 = (lambda - lambda_prev) / h
// First order on the first step and on the last (always with final sigma 0, whose lambda is infinite); with fewer
// than 15 steps the second-to-last step is second order as well (lower_order_final).

import { expF32 } from '../float32.ts';
import {
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
  type ScheduleName,
  type Scheduler,
  type SchedulerConfigFile,
  sigmaToT,
  type StepResult,
  trainingSigmas,
} from './schedule.ts';

const f = Math.fround;

export function createDpmpp2m(file: SchedulerConfigFile, schedule: ScheduleName, steps: number): Scheduler {
  const config = resolveBaseConfig(file, 'dpmpp_2m', { timestepSpacing: 'linspace' });
  checkSteps(steps, config, 'dpmpp_2m');
  const where = 'scheduler_config.json (dpmpp_2m)';
  const refuse = (key: string, value: unknown, supported: unknown) => {
    if (value !== undefined && value !== null && value !== supported) {
      throw new Error(`${where}: ${key} ${JSON.stringify(value)} is not supported; this sampler is DPM++ 2M (${key} ${JSON.stringify(supported)}).`);
    }
  };
  refuse('algorithm_type', file.algorithm_type, 'dpmsolver++');
  refuse('solver_order', file.solver_order, 2);
  refuse('solver_type', file.solver_type, 'midpoint');
  refuse('use_lu_lambdas', file.use_lu_lambdas, false);
  refuse('variance_type', file.variance_type, null);
  if (file.lambda_min_clipped !== undefined && file.lambda_min_clipped !== null && file.lambda_min_clipped !== -Infinity) {
    throw new Error(`${where}: lambda_min_clipped is not supported; leave it unset (-inf).`);
  }
  const finalSigmasType = file.final_sigmas_type ?? 'zero';
  if (finalSigmasType !== 'zero' && finalSigmasType !== 'sigma_min') {
    throw new Error(`${where}: final_sigmas_type "${finalSigmasType}" is not supported; use "zero" or "sigma_min".`);
  }
  const lowerOrderFinal = file.lower_order_final ?? true;
  const eulerAtFinal = file.euler_at_final ?? false;

  // Timesteps (integers) over last_timestep = T (lambda_min_clipped = -inf clips nothing).
  const T = config.numTrainTimesteps;
  let timesteps: number[];
  if (config.timestepSpacing === 'linspace') timesteps = npLinspace(0, T - 1, steps + 1).map(roundHalfEven).reverse().slice(0, -1);
  else if (config.timestepSpacing === 'leading') {
    const ratio = Math.floor(T / (steps + 1));
    timesteps = Array.from({ length: steps + 1 }, (_, i) => i * ratio).reverse().slice(0, -1).map((t) => t + config.stepsOffset);
  } else timesteps = npArange(T, 0, -(T / steps)).map((t) => roundHalfEven(t) - 1);

  const { alphasCumprod } = noiseSchedule(config);
  const training = trainingSigmas(alphasCumprod);
  let sigmas64: number[];
  if (schedule === 'karras') {
    sigmas64 = karrasSigmas(training[0], training[training.length - 1], steps);
    const logSigmas = logF32(training);
    timesteps = sigmas64.map((sigma) => roundHalfEven(sigmaToT(sigma, logSigmas)));
  } else sigmas64 = timesteps.map((t) => npInterpUnitGrid(t, training));
  const sigmaLast = finalSigmasType === 'zero' ? 0 : training[0];
  const sigmas = [...sigmas64, sigmaLast].map(f);
  const n = timesteps.length;

  // float32 alpha_t, sigma_t, lambda_t of a sigma (_sigma_to_alpha_sigma_t, torch.log); torch.exp is SLEEF's expf.
  const alphaOf = (sigma: number) => f(1 / f(Math.sqrt(f(f(sigma * sigma) + 1))));
  const lambdaOf = (sigma: number) => {
    const alpha = alphaOf(sigma);
    return f(f(Math.log(alpha)) - f(Math.log(f(sigma * alpha))));
  };

  // Multistep state (diffusers: model_outputs, lower_order_nums).
  let previousX0: Float32Array | null = null;
  let lowerOrderNums = 0;

  return {
    name: 'dpmpp_2m',
    schedule,
    timesteps,
    sigmas,
    initNoiseSigma: 1,
    scaleModelInput: (x) => x,

    setBeginIndex() {
      previousX0 = null;
      lowerOrderNums = 0;
    },

    step(eps, i, x): StepResult {
      checkIndex('dpmpp_2m', i, n);
      checkSameLength('dpmpp_2m', eps, x, 'the model output');
      const finalStep = i === n - 1 && (eulerAtFinal || (lowerOrderFinal && n < 15) || finalSigmasType === 'zero');

      // Data prediction x0 at sigma_i.
      const alphaS0 = alphaOf(sigmas[i]);
      const sigmaS0 = f(sigmas[i] * alphaS0);
      const x0 = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) x0[k] = f(f(x[k] - f(sigmaS0 * eps[k])) / alphaS0);

      const alphaT = alphaOf(sigmas[i + 1]);
      const sigmaT = f(sigmas[i + 1] * alphaT);
      const lambdaT = f(f(Math.log(alphaT)) - f(Math.log(sigmaT)));
      const lambdaS0 = lambdaOf(sigmas[i]);
      const h = f(lambdaT - lambdaS0);
      const ratio = f(sigmaT / sigmaS0);
      const c = f(alphaT * f(expF32(-h) - 1));
      const prev = new Float32Array(x.length);
      if (lowerOrderNums < 1 || finalStep || previousX0 === null) {
        for (let k = 0; k < x.length; k++) prev[k] = f(f(ratio * x[k]) - f(c * x0[k]));
      } else {
        // Second order (with solver_order 2 this includes lower_order_final's second-to-last step).
        const lambdaS1 = lambdaOf(sigmas[i - 1]);
        const r0 = f(f(lambdaS0 - lambdaS1) / h);
        const inverseR0 = f(1 / r0);
        const halfC = f(0.5 * c);
        for (let k = 0; k < x.length; k++) {
          const d1 = f(inverseR0 * f(x0[k] - previousX0[k]));
          prev[k] = f(f(f(ratio * x[k]) - f(c * x0[k])) - f(halfC * d1));
        }
      }
      if (lowerOrderNums < 2) lowerOrderNums++;
      previousX0 = x0;
      return { prevSample: prev, predOriginalSample: x0 };
    },

    addNoise(original, noise, i) {
      checkSameLength('dpmpp_2m', noise, original, 'the noise');
      const alpha = alphaOf(sigmas[i]);
      const sigmaT = f(sigmas[i] * alpha);
      const out = new Float32Array(original.length);
      for (let k = 0; k < out.length; k++) out[k] = f(f(alpha * original[k]) + f(sigmaT * noise[k]));
      return out;
    },
  };
}
