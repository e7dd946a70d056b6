// DPM-Solver++(2M) SDE and (3M) SDE (k-diffusion's sample_dpmpp_2m_sde, midpoint, and sample_dpmpp_3m_sde; eta 1):
// in lambda = -log sigma, the exponential-integrator step with the x0 history (one previous x0 for 2M, two for 3M),
// plus sigma_next sqrt(1 - e^(-2 h eta)) of Brownian-tree noise. The step to 0 takes x0.

import { brownianNoiseSampler, callModel, expF, expm1F, logF, type SamplerFunction } from './common.ts';

const f = Math.fround;

function multistepSde(order: 2 | 3): SamplerFunction {
  return async (x, run) => {
    const { sigmas } = run;
    if (sigmas.length <= 1) return x;
    const eta = 1;
    const noise = brownianNoiseSampler(run);
    let denoised1: Float32Array | null = null;
    let denoised2: Float32Array | null = null;
    let h1: number | null = null;
    let h2: number | null = null;
    let h: number | null = null;
    for (let i = 0; i < sigmas.length - 1; i++) {
      const denoised = await callModel(run, x, sigmas[i]);
      run.onStep(i, denoised, x);
      if (sigmas[i + 1] === 0) x = denoised;
      else {
        // Scalars in float32, as torch computes them on the sigma tensors.
        const lambdaS = -logF(sigmas[i]);
        const lambdaT = -logF(sigmas[i + 1]);
        h = f(lambdaT - lambdaS);
        const hEta = f(h * (eta + 1));
        const alphaT = f(sigmas[i + 1] * expF(lambdaT));
        const a = f(f(sigmas[i + 1] / sigmas[i]) * expF(f(-h * eta)));
        const b = f(alphaT * -expm1F(-hEta));
        const phi2 = f(f(expm1F(-hEta) / hEta) + 1);
        const terms: Array<[number, Float32Array]> = [[b, denoised]];
        if (order === 3 && h2 !== null && denoised1 && denoised2) {
          const r0 = h1! / h;
          const r1 = h2 / h;
          const phi3 = phi2 / hEta - 0.5;
          // d1_0 = (x0 - x0_1) / r0, d1_1 = (x0_1 - x0_2) / r1, d1 = d1_0 + (d1_0 - d1_1) r0 / (r0 + r1),
          // d2 = (d1_0 - d1_1) / (r0 + r1); x += alpha_t phi2 d1 - alpha_t phi3 d2.
          const c1 = alphaT * phi2;
          const c2 = alphaT * phi3;
          const p = r0 / (r0 + r1);
          const q = 1 / (r0 + r1);
          const d10 = [1 / r0, -1 / r0, 0];
          const d11 = [0, 1 / r1, -1 / r1];
          const coefficient = (j: number) => c1 * (d10[j] + (d10[j] - d11[j]) * p) - c2 * (d10[j] - d11[j]) * q;
          terms[0][0] += coefficient(0);
          terms.push([coefficient(1), denoised1], [coefficient(2), denoised2]);
        } else if (h1 !== null && denoised1) {
          const r = h1 / h;
          if (order === 2) {
            const c = (0.5 * b) / r; // midpoint: x += 0.5 alpha_t (1 - e^-h_eta) (1 / r) (x0 - x0_prev)
            terms[0][0] += c;
            terms.push([-c, denoised1]);
          } else {
            const c = (alphaT * phi2) / r; // 2M-SDE step of the 3M sampler: x += alpha_t phi2 (x0 - x0_prev) / r
            terms[0][0] += c;
            terms.push([-c, denoised1]);
          }
        }
        const z = noise(sigmas[i], sigmas[i + 1]);
        const noiseScale = f(sigmas[i + 1] * f(Math.sqrt(-expm1F(f(-2 * h) * eta))));
        const next = new Float32Array(x.length);
        for (let k = 0; k < x.length; k++) {
          let sum = a * x[k] + z[k] * noiseScale;
          for (const [c, v] of terms) sum += c * v[k];
          next[k] = sum;
        }
        x = next;
      }
      denoised2 = denoised1;
      denoised1 = denoised;
      h2 = h1;
      h1 = h;
    }
    return x;
  };
}

export const sampleDpmpp2mSde = multistepSde(2);
export const sampleDpmpp3mSde = multistepSde(3);
