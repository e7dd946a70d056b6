// DPM-Solver++(2M) (k-diffusion's sample_dpmpp_2m): in t = -log sigma, x <- (sigma_next / sigma) x - (e^-h - 1) D
// with D = x0 on the first and last steps and (1 + 1/2r) x0 - (1/2r) x0_prev otherwise, r = h_prev / h.

import { callModel, expF, expm1F, logF, type SamplerFunction } from './common.ts';

const f = Math.fround;

export const sampleDpmpp2m: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  let previous: Float32Array | null = null;
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    run.onStep(i, denoised, x);
    // Scalars in float32, as torch computes them on the sigma tensors.
    const t = -logF(sigmas[i]);
    const tNext = -logF(sigmas[i + 1]);
    const h = f(tNext - t);
    const ratio = f(expF(-tNext) / expF(-t));
    const c = expm1F(-h);
    if (previous === null || sigmas[i + 1] === 0) x = x.map((v, k) => ratio * v - c * denoised[k]);
    else {
      const r = f(f(t + logF(sigmas[i - 1])) / h);
      const old = previous;
      const b = f(1 / f(2 * r));
      const a = f(1 + b);
      x = x.map((v, k) => ratio * v - c * (a * denoised[k] - b * old[k]));
    }
    previous = denoised;
  }
  return x;
};
