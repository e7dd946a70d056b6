// Latent Consistency Model sampling (k-diffusion's sample_lcm in ComfyUI): every step jumps to the x0 prediction
// and, unless it is the last, noises it back to sigma_next with fresh noise (model_sampling.noise_scaling).

import { callModel, defaultNoiseSampler, type SamplerFunction } from './common.ts';

export const sampleLcm: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const noise = defaultNoiseSampler(run);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    run.onStep(i, denoised, x);
    x = denoised;
    if (sigmas[i + 1] > 0) x = run.modelSampling.noiseScaling(sigmas[i + 1], noise(sigmas[i], sigmas[i + 1]), x, false);
  }
  return x;
};
