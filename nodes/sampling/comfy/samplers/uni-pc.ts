// UniPC (Zhao et al. 2023), multistep, data prediction, variants B(h) = h (bh1, ComfyUI's uni_pc) and
// B(h) = e^h - 1 (bh2), as ComfyUI's comfy/extra_samplers/uni_pc.py runs it: in variance-preserving space
// (x_vp = x / sqrt(1 + sigma^2), alpha = 1 / sqrt(1 + sigma^2), sigma_vp = sigma alpha, lambda = -log sigma), the last
// sigma 0 replaced by 0.001, order min(3, steps - 1) lowered at the end (order 0, for 1 step, makes no step: as
// ComfyUI's, the result is the scaled starting point); each step a predictor from the x0 history
// and, except at the last step, a corrector that reuses the model call at the new point.

import { callModel, type SamplerFunction } from './common.ts';

interface Point {
  t: number;
  /** x0 prediction (data space) at t. */
  model: Float32Array;
}

const alphaOf = (sigma: number) => Math.exp(0.5 * Math.log(1 / (sigma * sigma + 1)));
const stdOf = (sigma: number) => Math.sqrt(1 - Math.exp(2 * (0.5 * Math.log(1 / (sigma * sigma + 1)))));
const lambdaOf = (sigma: number) => {
  const logMean = 0.5 * Math.log(1 / (sigma * sigma + 1));
  return logMean - 0.5 * Math.log(1 - Math.exp(2 * logMean));
};

/** Solves the small system A x = b (Gaussian elimination with partial pivoting). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i]]);
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) pivot = r;
    [m[c], m[pivot]] = [m[pivot], m[c]];
    for (let r = c + 1; r < n; r++) {
      const factor = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= factor * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r][n];
    for (let k = r + 1; k < n; k++) sum -= m[r][k] * x[k];
    x[r] = sum / m[r][r];
  }
  return x;
}

function uniPc(variant: 'bh1' | 'bh2'): SamplerFunction {
  return async (x, run) => {
    const timesteps = [...run.sigmas];
    if (timesteps[timesteps.length - 1] === 0) timesteps[timesteps.length - 1] = 0.001;
    const steps = timesteps.length - 1;
    const order = Math.min(3, timesteps.length - 2);
    // The x0 prediction at VP point x_vp and sigma t: the model sees x_vp sqrt(1 + t^2) in sigma space.
    const predict = async (xVp: Float32Array, t: number): Promise<Float32Array> => {
      const scale = Math.sqrt(t * t + 1);
      const xVe = xVp.map((v) => v * scale);
      const denoised = await callModel(run, xVe, t);
      // ComfyUI goes through eps = (x_ve - x0) / t and back: x0 = (x_vp - sigma_vp eps) / alpha.
      const alpha = alphaOf(t);
      const sigmaVp = stdOf(t);
      const out = new Float32Array(xVp.length);
      for (let k = 0; k < out.length; k++) out[k] = (xVp[k] - sigmaVp * ((xVe[k] - denoised[k]) / t)) / alpha;
      return out;
    };
    let xVp = x.map((v) => v / Math.sqrt(1 + timesteps[0] ** 2));
    const history: Point[] = [];
    const update = async (t: number, stepOrder: number, useCorrector: boolean): Promise<Float32Array | null> => {
      const previous = history[history.length - 1];
      const lambdaPrev = lambdaOf(previous.t);
      const lambdaT = lambdaOf(t);
      const alphaT = Math.exp(0.5 * Math.log(1 / (t * t + 1)));
      const sigmaT = stdOf(t);
      const sigmaPrev = stdOf(previous.t);
      const h = lambdaT - lambdaPrev;
      const rks: number[] = [];
      const d1s: Float32Array[] = [];
      for (let i = 1; i < stepOrder; i++) {
        const older = history[history.length - 1 - i];
        const rk = (lambdaOf(older.t) - lambdaPrev) / h;
        rks.push(rk);
        d1s.push(older.model.map((v, k) => (v - previous.model[k]) / rk));
      }
      rks.push(1);
      const hh = -h;
      const hPhi1 = Math.expm1(hh);
      let hPhiK = hPhi1 / hh - 1;
      let factorial = 1;
      const bH = variant === 'bh1' ? hh : Math.expm1(hh);
      const R: number[][] = [];
      const b: number[] = [];
      for (let i = 1; i <= stepOrder; i++) {
        R.push(rks.map((r) => r ** (i - 1)));
        b.push((hPhiK * factorial) / bH);
        factorial *= i + 1;
        hPhiK = hPhiK / hh - 1 / factorial;
      }
      const base = xVp.map((v, k) => (sigmaT / sigmaPrev) * v - alphaT * hPhi1 * previous.model[k]);
      let xT = base;
      if (d1s.length > 0) {
        const rhosP = stepOrder === 2 ? [0.5] : solve(R.slice(0, -1).map((row) => row.slice(0, -1)), b.slice(0, -1));
        xT = base.map((v, k) => {
          let residual = 0;
          for (let j = 0; j < d1s.length; j++) residual += rhosP[j] * d1s[j][k];
          return v - alphaT * bH * residual;
        });
      }
      if (!useCorrector) {
        xVp = xT;
        return null;
      }
      const rhosC = stepOrder === 1 ? [0.5] : solve(R, b);
      const modelT = await predict(xT, t);
      xVp = base.map((v, k) => {
        let residual = 0;
        for (let j = 0; j < d1s.length; j++) residual += rhosC[j] * d1s[j][k];
        residual += rhosC[rhosC.length - 1] * (modelT[k] - previous.model[k]);
        return v - alphaT * bH * residual;
      });
      return modelT;
    };
    const report = (step: number) => run.onStep(step, history[history.length - 1].model, xVp.map((v) => v * Math.sqrt(1 + timesteps[step] ** 2)));

    for (let step = 0; step < steps; step++) {
      if (step === 0) history.push({ t: timesteps[0], model: await predict(xVp, timesteps[0]) });
      else if (step < order) {
        const t = timesteps[step];
        const modelX = (await update(t, step, true)) ?? (await predict(xVp, t));
        history.push({ t, model: modelX });
      } else {
        const last = step === steps - 1 ? step + 1 : step;
        for (let s = step; s <= last; s++) {
          const t = timesteps[s];
          const stepOrder = Math.min(order, steps + 1 - s);
          const modelX = await update(t, stepOrder, s !== steps);
          history.shift();
          if (s < steps) history.push({ t, model: modelX ?? (await predict(xVp, t)) });
          else history.push({ t, model: history[history.length - 1].model });
        }
      }
      report(step);
    }
    const alphaLast = alphaOf(timesteps[timesteps.length - 1]);
    return xVp.map((v) => v / alphaLast);
  };
}

export const sampleUniPc = uniPc('bh1');
export const sampleUniPcBh2 = uniPc('bh2');
