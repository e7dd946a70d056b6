// Linear multistep (order 4), equal to diffusers 0.27.2 LMSDiscreteScheduler.
//   d_i = (x - x0) / sigma_i with x0 = x - sigma_i eps;  x_next = x + sum_j c_j d_{i-j},  j < min(i + 1, 4)
//   c_j = integral over [sigma_i, sigma_{i+1}] of the Lagrange basis polynomial L_j(tau) through the nodes
//         sigma_i, sigma_{i-1}, ..., sigma_{i-order+1}   (L_j = 1 at sigma_{i-j}, 0 at the others).
// diffusers integrates with scipy.integrate.quad (QUADPACK qags, epsrel 1e-4) and evaluates L_j in torch float32
// (the sigmas are float32 tensors). L_j is a polynomial of degree <= 3, so qags returns after its first 21-point
// Gauss-Kronrod pass, which is exact for it; we run that same rule on the same float32 integrand.

import { addNoiseSigma, scaleBySigma, sigmaSchedule } from './euler.ts';
import { checkIndex, checkSameLength, type ScheduleName, type Scheduler, type SchedulerConfigFile, type StepResult } from './schedule.ts';

const f = Math.fround;
const ORDER = 4;

export function createLms(file: SchedulerConfigFile, schedule: ScheduleName, steps: number): Scheduler {
  const { timesteps, sigmas, initNoiseSigma } = sigmaSchedule(file, 'lms', schedule, steps, { float64KarrasTimesteps: true });
  let derivatives: Float32Array[] = [];

  /** c_j for the step from index t (get_lms_coefficient(order, t, current_order = j)). */
  function coefficient(order: number, t: number, j: number): number {
    const basis = (tau: number) => {
      let product = 1;
      const tauF32 = f(tau);
      for (let k = 0; k < order; k++) {
        if (k === j) continue;
        product = f(product * f(f(tauF32 - sigmas[t - k]) / f(sigmas[t - j] - sigmas[t - k])));
      }
      return product;
    };
    return gaussKronrod21(basis, sigmas[t], sigmas[t + 1]);
  }

  return {
    name: 'lms',
    schedule,
    timesteps,
    sigmas,
    initNoiseSigma,
    scaleModelInput: (x, i) => scaleBySigma(x, sigmas[i]),

    setBeginIndex() {
      derivatives = [];
    },

    step(eps, i, x): StepResult {
      checkIndex('lms', i, timesteps.length);
      checkSameLength('lms', eps, x, 'the model output');
      const sigma = sigmas[i];
      const x0 = new Float32Array(x.length);
      const derivative = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) {
        x0[k] = f(x[k] - f(sigma * eps[k]));
        derivative[k] = f(f(x[k] - x0[k]) / sigma);
      }
      derivatives.push(derivative);
      if (derivatives.length > ORDER) derivatives.shift();
      // diffusers takes the order from the step index (not the stored history) and zips with the newest derivatives.
      const order = Math.min(i + 1, ORDER);
      const coefficients = Array.from({ length: order }, (_, j) => f(coefficient(order, i, j)));
      const terms = Math.min(order, derivatives.length);
      const sum = new Float32Array(x.length);
      for (let j = 0; j < terms; j++) {
        const d = derivatives[derivatives.length - 1 - j];
        for (let k = 0; k < x.length; k++) sum[k] = f(sum[k] + f(coefficients[j] * d[k]));
      }
      const prev = new Float32Array(x.length);
      for (let k = 0; k < x.length; k++) prev[k] = f(x[k] + sum[k]);
      return { prevSample: prev, predOriginalSample: x0 };
    },

    addNoise: (original, noise, i) => addNoiseSigma('lms', original, noise, sigmas[i]),
  };
}

// 21-point Gauss-Kronrod nodes (positive half, descending) and weights, from QUADPACK dqk21.
const XGK = [
  0.995657163025808080735527280689003, 0.973906528517171720077964012084452, 0.930157491355708226001207180059508,
  0.865063366688984510732096688423493, 0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
  0.562757134668604683339000099272694, 0.433395394129247190799265943165784, 0.294392862701460198131126603103866,
  0.14887433898163121088482600112972, 0,
];
const WGK = [
  0.011694638867371874278064396062192, 0.03255816230796472747881897245939, 0.05475589657435199603138130024458,
  0.07503967481091995276704314091619, 0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
  0.123491976262065851077958109831074, 0.134709217311473325928054001771707, 0.142775938577060080797094273138717,
  0.147739104901338491374841515972068, 0.149445554002916905664936468389821,
];

/**
 * The 21-point Gauss-Kronrod rule on [a, b] in QUADPACK's summation order (centre, then the Gauss abscissae
 * xgk[1], xgk[3], ..., then the Kronrod ones xgk[0], xgk[2], ...). Exact for polynomials of degree <= 31.
 */
export function gaussKronrod21(fn: (x: number) => number, a: number, b: number): number {
  const centre = 0.5 * (a + b);
  const halfLength = 0.5 * (b - a);
  let result = WGK[10] * fn(centre);
  for (let j = 1; j <= 5; j++) {
    const abscissa = halfLength * XGK[2 * j - 1];
    result += WGK[2 * j - 1] * (fn(centre - abscissa) + fn(centre + abscissa));
  }
  for (let j = 1; j <= 5; j++) {
    const abscissa = halfLength * XGK[2 * j - 2];
    result += WGK[2 * j - 2] * (fn(centre - abscissa) + fn(centre + abscissa));
  }
  return result * halfLength;
}
