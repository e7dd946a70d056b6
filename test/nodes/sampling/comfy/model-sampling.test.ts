// ComfyUI's ModelSamplingDiscrete against the reference (scripts/reference/comfy_sampling/model_sampling.py).
import { describe, expect, it } from 'vitest';

import { ModelSampling } from '../../../../nodes/sampling/comfy/model-sampling.ts';
import { eps, integers, lcm, referenceSummary, relativeError, schedulerConfig, tensor } from './reference.ts';

/** Count of float32 values that differ, and the largest difference in float32 ulps. */
function ulps(actual: ArrayLike<number>, wanted: ArrayLike<number>): { differing: number; maxUlps: number } {
  let differing = 0;
  let maxUlps = 0;
  for (let i = 0; i < wanted.length; i++) {
    if (actual[i] === wanted[i]) continue;
    differing++;
    const ulp = Math.abs(Math.fround(wanted[i] * (1 + 2 ** -23)) - wanted[i]) || Number.MIN_VALUE;
    maxUlps = Math.max(maxUlps, Math.abs(actual[i] - wanted[i]) / ulp);
  }
  return { differing, maxUlps };
}

describe('ModelSampling (ComfyUI, SD 1.x)', () => {
  it('the 1000 sigmas and log-sigmas from the model config equal the reference bit for bit (measured: 0 differ)', () => {
    for (const [name, actual] of [['sigmas', eps.sigmas], ['log_sigmas', eps.logSigmas]] as const) {
      const { differing, maxUlps } = ulps(actual, tensor(`model_sampling.eps.${name}`));
      console.log(`eps ${name}: ${differing} of 1000 differ, max ${maxUlps.toFixed(1)} ulp`);
      expect(differing).toBe(0);
    }
    expect(eps.sigmaMin).toBeCloseTo(0.0291675, 6);
    expect(eps.sigmaMax).toBeCloseTo(14.614642, 5);
  });

  it('LCM: 50 sigmas, every 20th from the top; zsnr rescales to a zero terminal SNR', () => {
    expect(lcm.sigmas.length).toBe(50);
    expect(ulps(lcm.sigmas, tensor('model_sampling.lcm.sigmas')).differing).toBe(0);
    expect(ulps(lcm.logSigmas, tensor('model_sampling.lcm.log_sigmas')).maxUlps).toBeLessThanOrEqual(1);
    const zsnr = ModelSampling.fromConfig(schedulerConfig, { zsnr: true });
    expect(relativeError(zsnr.sigmas, tensor('model_sampling.zsnr.sigmas'))).toBeLessThanOrEqual(1e-6);
  });

  it('timestep(sigma) is the nearest table entry (LCM: 20 i + 19), as the reference maps them', () => {
    const probes = tensor('model_sampling.eps.timestep_probes');
    expect(Array.from(probes, (s) => eps.timestep(s))).toEqual(integers('model_sampling.eps.timestep_of_probes'));
    expect(Array.from(probes, (s) => lcm.timestep(s))).toEqual(integers('model_sampling.lcm.timestep_of_probes'));
  });

  it('percent_to_sigma: 0 is always active (a huge sigma), 1 is 0, between log-interpolated', () => {
    const wanted = tensor('model_sampling.eps.percent_to_sigma');
    referenceSummary.percents.forEach((p, i) => expect(Math.fround(eps.percentToSigma(p))).toBe(wanted[i]));
  });

  it('eps: input x / sqrt(sigma^2 + 1), denoised x - sigma * output; lcm blends with c_skip / c_out', () => {
    const x = Float32Array.of(2, -4);
    const output = Float32Array.of(0.5, 1);
    expect(Array.from(eps.calculateInput(x, 3))).toEqual([Math.fround(2 / Math.sqrt(10)), Math.fround(-4 / Math.sqrt(10))]);
    expect(Array.from(eps.calculateDenoised(3, output, x))).toEqual([0.5, -7]);
    // At the top of the table LCM's timestep is 999: c_skip ~ 0, c_out ~ 1, so denoised ~ x0.
    const top = lcm.calculateDenoised(lcm.sigmaMax, output, x);
    expect(top[0]).toBeCloseTo(2 - 0.5 * lcm.sigmaMax, 3);
  });

  it('refuses a beta schedule it cannot reproduce, naming the file and the fix', () => {
    expect(() => ModelSampling.fromConfig({ ...schedulerConfig, beta_schedule: 'squaredcos_cap_v2' })).toThrow(/scheduler_config.json: beta_schedule "squaredcos_cap_v2".*scaled_linear or linear/);
  });
});

