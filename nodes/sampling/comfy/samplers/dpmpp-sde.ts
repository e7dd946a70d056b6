// DPM-Solver++ SDE (k-diffusion's sample_dpmpp_sde, r = 1/2, eta = 1): per step, a stochastic half step in
// lambda = -log sigma to sigma_s1 for a second x0 estimate, then the full step with their blend; the noise comes
// from the Brownian tree (queries (sigma_i, sigma_s1) and (sigma_i, sigma_next)). The step to 0 takes x0.
// The per-step scalars are float32, as torch computes them on the sigma tensors.

import { ancestralStep, brownianNoiseSampler, callModel, expF, expm1F, logF, type SamplerFunction } from './common.ts';

const f = Math.fround;
const R = 0.5;

export const sampleDpmppSde: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  if (sigmas.length <= 1) return x;
  const noise = brownianNoiseSampler(run);
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    run.onStep(i, denoised, x);
    if (sigmas[i + 1] === 0) {
      x = denoised;
      continue;
    }
    const lambdaS = -logF(sigmas[i]);
    const lambdaT = -logF(sigmas[i + 1]);
    const h = f(lambdaT - lambdaS);
    const lambdaS1 = f(lambdaS + f(R * h));
    const fac = 1 / (2 * R);
    const sigmaS1 = expF(-lambdaS1);
    const alphaS = f(sigmas[i] * expF(lambdaS));
    const alphaS1 = f(sigmaS1 * expF(lambdaS1));
    const alphaT = f(sigmas[i + 1] * expF(lambdaT));
    // Step 1
    let step = ancestralStep(expF(-lambdaS), expF(-lambdaS1));
    let hStep = f(-logF(step.down) - lambdaS);
    const a1 = f(f(alphaS1 / alphaS) * expF(-hStep));
    const b1 = f(alphaS1 * expm1F(-hStep));
    const z1 = noise(sigmas[i], sigmaS1);
    const n1 = f(alphaS1 * step.up);
    const x2 = x.map((v, k) => a1 * v - b1 * denoised[k] + z1[k] * n1);
    const denoised2 = await callModel(run, x2, sigmaS1);
    // Step 2
    step = ancestralStep(expF(-lambdaS), expF(-lambdaT));
    hStep = f(-logF(step.down) - lambdaS);
    const a2 = f(f(alphaT / alphaS) * expF(-hStep));
    const b2 = f(alphaT * expm1F(-hStep));
    const z2 = noise(sigmas[i], sigmas[i + 1]);
    const n2 = f(alphaT * step.up);
    x = x.map((v, k) => a2 * v - b2 * ((1 - fac) * denoised[k] + fac * denoised2[k]) + z2[k] * n2);
  }
  return x;
};
