// Euler (Karras et al. 2022, Algorithm 2 without churn) and Euler ancestral, as k-diffusion's sample_euler and
// sample_euler_ancestral:  d = (x - x0) / sigma,  x <- x + d (sigma_next - sigma);  the ancestral form steps to
// sigma_down and adds sigma_up of fresh noise (or takes x0 when sigma_down is 0).

import { ancestralStep, callModel, defaultNoiseSampler, type SamplerFunction } from './common.ts';

export const sampleEuler: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    run.onStep(i, denoised, x);
    const dt = sigmas[i + 1] - sigmas[i];
    const next = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) next[k] = x[k] + ((x[k] - denoised[k]) / sigmas[i]) * dt;
    x = next;
  }
  return x;
};

export const sampleEulerAncestral: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const noise = defaultNoiseSampler(run);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    const { down, up } = ancestralStep(sigmas[i], sigmas[i + 1]);
    run.onStep(i, denoised, x);
    if (down === 0) {
      x = denoised;
      continue;
    }
    const dt = down - sigmas[i];
    const z = noise(sigmas[i], sigmas[i + 1]);
    const next = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) next[k] = x[k] + ((x[k] - denoised[k]) / sigmas[i]) * dt + z[k] * up;
    x = next;
  }
  return x;
};

