// DDPM ancestral sampling (k-diffusion's sample_ddpm in ComfyUI): in variance-preserving space, with
// a = alphā(sigma) = 1 / (sigma^2 + 1), a' = alphā(sigma_next) and alpha = a / a',
//   mu = (x_vp - (1 - alpha) eps / sqrt(1 - a)) / sqrt(alpha) + sqrt((1 - alpha)(1 - a') / (1 - a)) z   (z only if sigma_next > 0),
// then back to sigma space by sqrt(sigma_next^2 + 1).

import { callModel, defaultNoiseSampler, type SamplerFunction } from './common.ts';

export const sampleDdpm: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const noise = defaultNoiseSampler(run);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const sigma = sigmas[i];
    const sigmaNext = sigmas[i + 1];
    const denoised = await callModel(run, x, sigma);
    run.onStep(i, denoised, x);
    const alphaCumprod = 1 / (sigma * sigma + 1);
    const alphaCumprodNext = 1 / (sigmaNext * sigmaNext + 1);
    const alpha = alphaCumprod / alphaCumprodNext;
    const scaleIn = Math.sqrt(1 + sigma ** 2);
    const a = Math.sqrt(1 / alpha);
    const b = (1 - alpha) / Math.sqrt(1 - alphaCumprod);
    const z = sigmaNext > 0 ? noise(sigma, sigmaNext) : null;
    const c = Math.sqrt(((1 - alpha) * (1 - alphaCumprodNext)) / (1 - alphaCumprod));
    const scaleOut = sigmaNext !== 0 ? Math.sqrt(1 + sigmaNext ** 2) : 1;
    const next = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) {
      const eps = (x[k] - denoised[k]) / sigma;
      let mu = a * (x[k] / scaleIn - b * eps);
      if (z) mu += c * z[k];
      next[k] = mu * scaleOut;
    }
    x = next;
  }
  return x;
};
