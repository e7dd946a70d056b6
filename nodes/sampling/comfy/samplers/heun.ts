// Heun's method (Karras et al. 2022, Algorithm 2 without churn), as k-diffusion's sample_heun: an Euler step,
// then the average of the two slopes; the last step to sigma 0 is plain Euler. Two model calls per step.

import { callModel, type SamplerFunction, toD } from './common.ts';

export const sampleHeun: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    const d = toD(x, sigmas[i], denoised);
    run.onStep(i, denoised, x);
    const dt = sigmas[i + 1] - sigmas[i];
    const euler = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) euler[k] = x[k] + d[k] * dt;
    if (sigmas[i + 1] === 0) {
      x = euler;
      continue;
    }
    const d2 = toD(euler, sigmas[i + 1], await callModel(run, euler, sigmas[i + 1]));
    const next = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) next[k] = x[k] + ((d[k] + d2[k]) / 2) * dt;
    x = next;
  }
  return x;
};
