// Improved pseudo linear multistep (k-diffusion's sample_ipndm, max order 4, from zju-pi/diff-sampler): Adams-
// Bashforth combinations of the current and up to three previous slopes d = (x - x0) / sigma, with fixed
// coefficients (3, -1)/2, (23, -16, 5)/12, (55, -59, 37, -9)/24. The step to 0 takes x0.

import { callModel, type SamplerFunction, toD } from './common.ts';

const COEFFICIENTS = [[1], [3 / 2, -1 / 2], [23 / 12, -16 / 12, 5 / 12], [55 / 24, -59 / 24, 37 / 24, -9 / 24]];
const MAX_ORDER = 4;

export const sampleIpndm: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const history: Float32Array[] = [];
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    run.onStep(i, denoised, x);
    const d = toD(x, sigmas[i], denoised);
    const order = Math.min(MAX_ORDER, i + 1);
    if (sigmas[i + 1] === 0) x = denoised;
    else {
      const dt = sigmas[i + 1] - sigmas[i];
      const weights = COEFFICIENTS[order - 1];
      const slopes = [d, ...history.slice(-(order - 1)).reverse()].slice(0, order);
      const next = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) {
        let slope = 0;
        for (let j = 0; j < order; j++) slope += weights[j] * slopes[j][k];
        next[k] = x[k] + dt * slope;
      }
      x = next;
    }
    history.push(d);
    if (history.length > MAX_ORDER - 1) history.shift();
  }
  return x;
};
