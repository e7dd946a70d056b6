// DPM-Solver++(2S) ancestral (k-diffusion's sample_dpmpp_2s_ancestral): in t = -log sigma, a half step to
// s = t + h / 2 for a second x0 estimate, then the full step to sigma_down with it; sigma_up of noise after
// (none on the step to 0, which is an Euler step).

import { ancestralStep, callModel, defaultNoiseSampler, type SamplerFunction } from './common.ts';

export const sampleDpmpp2sAncestral: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const noise = defaultNoiseSampler(run);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    const { down, up } = ancestralStep(sigmas[i], sigmas[i + 1]);
    run.onStep(i, denoised, x);
    if (down === 0) {
      const dt = down - sigmas[i];
      x = x.map((v, k) => v + ((v - denoised[k]) / sigmas[i]) * dt);
    } else {
      const t = -Math.log(sigmas[i]);
      const tNext = -Math.log(down);
      const h = tNext - t;
      const s = t + h / 2;
      const sigmaS = Math.exp(-s);
      const ratio = sigmaS / sigmas[i];
      const c = Math.expm1(-h / 2);
      const x2 = x.map((v, k) => ratio * v - c * denoised[k]);
      const denoised2 = await callModel(run, x2, sigmaS);
      const ratioNext = Math.exp(-tNext) / sigmas[i];
      const cNext = Math.expm1(-h);
      x = x.map((v, k) => ratioNext * v - cNext * denoised2[k]);
    }
    if (sigmas[i + 1] > 0) {
      const z = noise(sigmas[i], sigmas[i + 1]);
      x = x.map((v, k) => v + z[k] * up);
    }
  }
  return x;
};
