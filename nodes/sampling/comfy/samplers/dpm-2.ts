// DPM-Solver-2 steps (k-diffusion's sample_dpm_2 and sample_dpm_2_ancestral): the slope at the log-midpoint
// sigma_mid = exp((log sigma + log sigma_next) / 2) moves x the whole step; two model calls per step, plain Euler
// for the step to 0. The ancestral form steps to sigma_down and adds sigma_up of noise.
// (KSampler gives these samplers steps + 1 sigmas with the second-to-last dropped, as ComfyUI does.)

import { ancestralStep, callModel, defaultNoiseSampler, type SamplerFunction, toD } from './common.ts';

const f = Math.fround;

/** sigma.log().lerp(target.log(), 0.5).exp() in float32. */
function logMidpoint(sigma: number, target: number): number {
  const a = f(Math.log(sigma));
  const b = f(Math.log(target));
  return f(Math.exp(f(a + f(0.5 * f(b - a)))));
}

async function dpm2Step(run: Parameters<SamplerFunction>[1], x: Float32Array, d: Float32Array, sigma: number, target: number): Promise<Float32Array> {
  const mid = logMidpoint(sigma, target);
  const x2 = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) x2[k] = x[k] + d[k] * (mid - sigma);
  const d2 = toD(x2, mid, await callModel(run, x2, mid));
  const out = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) out[k] = x[k] + d2[k] * (target - sigma);
  return out;
}

export const sampleDpm2: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    const d = toD(x, sigmas[i], denoised);
    run.onStep(i, denoised, x);
    if (sigmas[i + 1] === 0) {
      const dt = -sigmas[i];
      x = x.map((v, k) => v + d[k] * dt);
    } else x = await dpm2Step(run, x, d, sigmas[i], sigmas[i + 1]);
  }
  return x;
};

export const sampleDpm2Ancestral: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const noise = defaultNoiseSampler(run);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    const { down, up } = ancestralStep(sigmas[i], sigmas[i + 1]);
    run.onStep(i, denoised, x);
    const d = toD(x, sigmas[i], denoised);
    if (down === 0) {
      const dt = down - sigmas[i];
      x = x.map((v, k) => v + d[k] * dt);
    } else {
      x = await dpm2Step(run, x, d, sigmas[i], down);
      const z = noise(sigmas[i], sigmas[i + 1]);
      x = x.map((v, k) => v + z[k] * up);
    }
  }
  return x;
};
