// DEIS, the 'tab' variant (k-diffusion's sample_deis, max order 3, from zju-pi/diff-sampler): sigmas are mapped to
// the time t of a VP SDE fitted to the EDM range (sigma 0.002 .. 80, eps_s 1e-3); each multistep coefficient is
// the integral over [t_i, t_{i+1}] of the exponential integrand -0.5 (d log alpha / dt) / sqrt(alpha (1 - alpha))
// times a Lagrange polynomial through the previous times, by a 10000-point left Riemann sum as in ComfyUI.
// First step (and the step to 0): Euler.

import { callModel, type SamplerFunction, toD } from './common.ts';

const MAX_ORDER = 3;
const POINTS = 10000;

/** EDM sigma -> VP time t, and the VP schedule's beta_0, beta_1 (deis.py edm2t). */
function edmToVpTime(sigmas: readonly number[]): { t: number[]; beta0: number; beta1: number } {
  const epsilonS = 1e-3;
  const sigmaMin = Math.fround(0.002);
  const sigmaMax = 80;
  const betaD = (2 * (Math.log(sigmaMin ** 2 + 1) / epsilonS - Math.log(sigmaMax ** 2 + 1))) / (epsilonS - 1);
  const betaMin = Math.log(sigmaMax ** 2 + 1) - 0.5 * betaD;
  const t = sigmas.map((s) => (Math.sqrt(betaMin ** 2 + 2 * betaD * Math.log(s ** 2 + 1)) - betaMin) / betaD);
  return { t, beta0: betaMin, beta1: betaD + betaMin };
}

/** The DEIS multistep coefficients per step ([] for first-order steps). */
export function deisCoefficients(sigmas: readonly number[], maxOrder = MAX_ORDER): number[][] {
  const { t, beta0, beta1 } = edmToVpTime(sigmas);
  const integrand = (tau: number) => {
    const alpha = Math.exp(-0.5 * tau ** 2 * (beta1 - beta0) - tau * beta0);
    const dLogAlpha = -(tau * (beta1 - beta0) + beta0);
    return (-0.5 * dLogAlpha) / Math.sqrt(alpha * (1 - alpha));
  };
  const out: number[][] = [];
  for (let i = 0; i < t.length - 1; i++) {
    const order = Math.min(i + 1, maxOrder);
    if (order === 1) {
      out.push([]);
      continue;
    }
    const tCur = t[i];
    const tNext = t[i + 1];
    const dtau = (tNext - tCur) / POINTS;
    const previous = Array.from({ length: order }, (_, k) => t[i - k]);
    const coefficients = new Array<number>(order).fill(0);
    for (let p = 0; p < POINTS; p++) {
      const tau = p === POINTS - 1 ? tNext : tCur + ((tNext - tCur) * p) / (POINTS - 1);
      const weight = integrand(tau);
      for (let j = 0; j < order; j++) {
        let poly = 1;
        for (let k = 0; k < order; k++) if (k !== j) poly *= (tau - previous[k]) / (previous[j] - previous[k]);
        coefficients[j] += weight * poly;
      }
    }
    out.push(coefficients.map((c) => c * dtau));
  }
  return out;
}

export const sampleDeis: SamplerFunction = async (x, run) => {
  const { sigmas } = run;
  const coefficients = deisCoefficients(sigmas);
  const history: Float32Array[] = [];
  for (let i = 0; i < sigmas.length - 1; i++) {
    const denoised = await callModel(run, x, sigmas[i]);
    run.onStep(i, denoised, x);
    const d = toD(x, sigmas[i], denoised);
    let order = Math.min(MAX_ORDER, i + 1);
    if (sigmas[i + 1] <= 0) order = 1;
    const next = new Float32Array(x.length);
    if (order === 1) {
      const dt = sigmas[i + 1] - sigmas[i];
      for (let k = 0; k < x.length; k++) next[k] = x[k] + dt * d[k];
    } else {
      const c = coefficients[i];
      const slopes = [d, history[history.length - 1], history[history.length - 2]];
      for (let k = 0; k < x.length; k++) {
        let sum = x[k];
        for (let j = 0; j < order; j++) sum += c[j] * slopes[j][k];
        next[k] = sum;
      }
    }
    x = next;
    history.push(d);
    if (history.length > MAX_ORDER - 1) history.shift();
  }
  return x;
};
