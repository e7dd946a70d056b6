// Linear multistep (k-diffusion's sample_lms, order 4): x <- x + sum_j c_j d_{i-j}, the coefficients the integrals
// over [sigma_i, sigma_{i+1}] of the Lagrange polynomials through the last `order` sigmas (scipy's quad there; a
// 21-point Gauss-Kronrod rule here, exact for these polynomials of degree <= 3). The step to 0 takes x0.

import { gaussKronrod21 } from '../../schedulers/lms.ts';
import { callModel, type SamplerFunction, toD } from './common.ts';

const ORDER = 4;

function coefficient(order: number, t: readonly number[], i: number, j: number): number {
  const lagrange = (tau: number) => {
    let product = 1;
    for (let k = 0; k < order; k++) if (k !== j) product *= (tau - t[i - k]) / (t[i - j] - t[i - k]);
    return product;
  };
  return gaussKronrod21(lagrange, t[i], t[i + 1]);
}

export const sampleLms: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const ds: Float32Array[] = [];
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    ds.push(toD(x, sigmas[i], denoised));
    if (ds.length > ORDER) ds.shift();
    run.onStep(i, denoised, x);
    if (sigmas[i + 1] === 0) {
      x = denoised;
      continue;
    }
    const order = Math.min(i + 1, ORDER);
    const coefficients = Array.from({ length: order }, (_, j) => coefficient(order, sigmas, i, j));
    const next = new Float32Array(x.length);
    for (let k = 0; k < x.length; k++) {
      let sum = 0;
      for (let j = 0; j < order; j++) sum += coefficients[j] * ds[ds.length - 1 - j][k];
      next[k] = x[k] + sum;
    }
    x = next;
  }
  return x;
};
