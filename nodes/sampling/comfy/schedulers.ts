// ComfyUI's nine schedulers (comfy/samplers.py SCHEDULER_HANDLERS, k_diffusion get_sigmas_karras /
// get_sigmas_exponential): each gives the sigmas a sampler walks, usually steps + 1 values ending in 0, as float32
// values, computed with the dtypes ComfyUI uses (torch float32 tensors, Python floats where it uses them).

import { roundHalfEven, torchLinspaceF32 } from '../schedulers/schedule.ts';
import { betaQuantile } from './beta-quantile.ts';
import type { ModelSampling } from './model-sampling.ts';

const f = Math.fround;

/** ComfyUI's SCHEDULER_NAMES, in its order. */
export const COMFY_SCHEDULER_NAMES = [
  'simple', 'sgm_uniform', 'karras', 'exponential', 'ddim_uniform', 'beta', 'normal', 'linear_quadratic', 'kl_optimal',
] as const;
export type ComfySchedulerName = (typeof COMFY_SCHEDULER_NAMES)[number];

export function isComfyScheduler(name: string): name is ComfySchedulerName {
  return (COMFY_SCHEDULER_NAMES as readonly string[]).includes(name);
}

/**
 * The sigmas of scheduler `name` for `steps` steps on this model sampling (comfy.samplers.calculate_sigmas).
 *
 * @example
 *   calculateSigmas(ModelSampling.fromConfig(config), 'karras', 4); // [14.61, 3.17, 0.447, 0.0292, 0]
 */
export function calculateSigmas(ms: ModelSampling, name: ComfySchedulerName, steps: number): number[] {
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`scheduler ${name}: steps must be an integer >= 1, got ${steps}.`);
  switch (name) {
    case 'simple':
      return simple(ms, steps);
    case 'sgm_uniform':
      return normal(ms, steps, true);
    case 'karras':
      return karrasSigmas(steps, ms.sigmaMin, ms.sigmaMax);
    case 'exponential':
      return exponentialSigmas(steps, ms.sigmaMin, ms.sigmaMax);
    case 'ddim_uniform':
      return ddimUniform(ms, steps);
    case 'beta':
      return beta(ms, steps);
    case 'normal':
      return normal(ms, steps, false);
    case 'linear_quadratic':
      return linearQuadratic(ms, steps);
    case 'kl_optimal':
      return klOptimal(steps, ms.sigmaMin, ms.sigmaMax);
  }
}

/** Karras et al. (2022): (max^(1/rho) + ramp (min^(1/rho) - max^(1/rho)))^rho over n points, then 0. */
export function karrasSigmas(n: number, sigmaMin: number, sigmaMax: number, rho = 7): number[] {
  const ramp = torchLinspaceF32(0, 1, n);
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  const span = f(minInvRho - maxInvRho);
  const base = f(maxInvRho);
  return [...Array.from(ramp, (r) => f(f(base + f(r * span)) ** rho)), 0];
}

/** exp(linspace(log sigma_max, log sigma_min, n)), then 0. */
export function exponentialSigmas(n: number, sigmaMin: number, sigmaMax: number): number[] {
  return [...Array.from(torchLinspaceF32(Math.log(sigmaMax), Math.log(sigmaMin), n), (v) => f(Math.exp(v))), 0];
}

/** Every (T / steps)-th table sigma from the top. */
function simple(ms: ModelSampling, steps: number): number[] {
  const n = ms.sigmas.length;
  const stride = n / steps;
  const out: number[] = [];
  for (let x = 0; x < steps; x++) out.push(ms.sigmas[n - 1 - Math.trunc(x * stride)]);
  return [...out, 0];
}

/** Table sigmas 1, 1 + T/steps, ... reversed, with a final 0 (its length follows T / steps, as ComfyUI's). */
function ddimUniform(ms: ModelSampling, steps: number): number[] {
  const n = ms.sigmas.length;
  let sigs: number[];
  if (Math.abs(ms.sigmas[1]) <= 0.00001) {
    steps += 1;
    sigs = [];
  } else sigs = [0];
  const stride = Math.max(Math.floor(n / steps), 1);
  for (let x = 1; x < n; x += stride) sigs.push(ms.sigmas[x]);
  return sigs.reverse();
}

/** Timesteps evenly spaced from the top to the bottom of the table (sgm: steps + 1 of them, the last dropped). */
function normal(ms: ModelSampling, steps: number, sgm: boolean): number[] {
  const start = ms.timestep(ms.sigmaMax);
  const end = ms.timestep(ms.sigmaMin);
  let timesteps: Float32Array;
  let appendZero = true;
  if (sgm) timesteps = torchLinspaceF32(start, end, steps + 1).subarray(0, steps);
  else {
    if (Math.abs(ms.sigma(end)) <= 0.00001) {
      steps += 1;
      appendZero = false;
    }
    timesteps = torchLinspaceF32(start, end, steps);
  }
  const sigs = Array.from(timesteps, (t) => ms.sigma(t));
  return appendZero ? [...sigs, 0] : sigs;
}

/** Timesteps at the Beta(0.6, 0.6) quantiles of 1 - i / steps (repeats dropped), then 0 (arXiv 2407.12173). */
function beta(ms: ModelSampling, steps: number, alpha = 0.6, betaParameter = 0.6): number[] {
  const total = ms.sigmas.length - 1;
  const sigs: number[] = [];
  let last = -1;
  for (let i = 0; i < steps; i++) {
    const q = 1 - i * (1 / steps);
    const t = roundHalfEven(betaQuantile(q, alpha, betaParameter) * total);
    if (t !== last) sigs.push(ms.sigmas[t]);
    last = t;
  }
  return [...sigs, 0];
}

/** Mochi's linear-then-quadratic schedule in [0, 1], times sigma_max. */
function linearQuadratic(ms: ModelSampling, steps: number, thresholdNoise = 0.025): number[] {
  let schedule: number[];
  if (steps === 1) schedule = [1, 0];
  else {
    const linearSteps = Math.floor(steps / 2);
    const linear = Array.from({ length: linearSteps }, (_, i) => (i * thresholdNoise) / linearSteps);
    const stepDiff = linearSteps - thresholdNoise * steps;
    const quadraticSteps = steps - linearSteps;
    const quadraticCoef = stepDiff / (linearSteps * quadraticSteps ** 2);
    const linearCoef = thresholdNoise / linearSteps - (2 * stepDiff) / quadraticSteps ** 2;
    const constant = quadraticCoef * linearSteps ** 2;
    const quadratic = Array.from({ length: steps - linearSteps }, (_, j) => {
      const i = linearSteps + j;
      return quadraticCoef * i ** 2 + linearCoef * i + constant;
    });
    schedule = [...linear, ...quadratic, 1].map((x) => 1 - x);
  }
  return schedule.map((s) => f(f(s) * ms.sigmaMax));
}

/** tan((i / (n - 1)) atan(sigma_min) + (1 - i / (n - 1)) atan(sigma_max)), then 0 (AUTOMATIC1111 #15608). */
function klOptimal(n: number, sigmaMin: number, sigmaMax: number): number[] {
  if (n < 2) throw new RangeError('scheduler kl_optimal: steps must be at least 2 (its formula divides by steps - 1).');
  const atanMin = f(Math.atan(sigmaMin));
  const atanMax = f(Math.atan(sigmaMax));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = f(i / (n - 1));
    out.push(f(Math.tan(f(f(w * atanMin) + f(f(1 - w) * atanMax)))));
  }
  return [...out, 0];
}
