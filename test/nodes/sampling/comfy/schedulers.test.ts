// ComfyUI's nine schedulers against the reference for 1, 2, 4, 5, 7 and 20 steps, on SD 1.x's and LCM's tables.
import { describe, expect, it } from 'vitest';

import { betaCdf, betaQuantile } from '../../../../nodes/sampling/comfy/beta-quantile.ts';
import { calculateSigmas, COMFY_SCHEDULER_NAMES } from '../../../../nodes/sampling/comfy/schedulers.ts';
import { eps, lcm, tensor } from './reference.ts';

/** The largest difference in units of 1e-6 x max |ref| (float32 rounding is ~0.06). */
function deviation(actual: readonly number[], wanted: Float32Array): number {
  expect(actual.length).toBe(wanted.length);
  const scale = Math.max(...wanted.map(Math.abs));
  return Math.max(...actual.map((v, i) => Math.abs(v - wanted[i]))) / scale / 1e-6;
}

describe('ComfyUI schedulers', () => {
  it.each(COMFY_SCHEDULER_NAMES.map((n) => [n]))('%s: sigmas equal the reference within 1e-6 relative for 1..20 steps', (name) => {
    const report: string[] = [];
    for (const steps of [1, 2, 4, 5, 7, 20]) {
      if (name === 'kl_optimal' && steps === 1) continue; // ComfyUI divides by steps - 1 (NaN); we refuse, below
      const error = deviation(calculateSigmas(eps, name, steps), tensor(`schedule.${name}.${steps}`));
      report.push(`${steps}: ${error.toFixed(2)}`);
      expect(error).toBeLessThanOrEqual(1);
    }
    expect(deviation(calculateSigmas(lcm, name, 4), tensor(`schedule_lcm.${name}.4`))).toBeLessThanOrEqual(1);
    console.log(`${name} (x 1e-6 relative) ${report.join(', ')}`);
  });

  it('keeps ComfyUI quirks: ddim_uniform with 7 steps gives 8 sigmas + 0, beta drops repeated timesteps', () => {
    expect(calculateSigmas(eps, 'ddim_uniform', 7)).toHaveLength(9);
    expect(calculateSigmas(eps, 'beta', 4)).toHaveLength(5);
  });

  it('refuses kl_optimal with one step instead of returning NaN', () => {
    expect(() => calculateSigmas(eps, 'kl_optimal', 1)).toThrow(/kl_optimal: steps must be at least 2/);
  });
});

describe('beta quantile (scipy.stats.beta.ppf)', () => {
  it('inverts the incomplete beta function and is symmetric for a = b', () => {
    for (const q of [0.01, 0.25, 0.5, 0.75, 0.99]) {
      for (const [a, b] of [[0.6, 0.6], [2, 5], [0.5, 3]]) expect(betaCdf(betaQuantile(q, a, b), a, b)).toBeCloseTo(q, 12);
      expect(betaQuantile(q, 0.6, 0.6) + betaQuantile(1 - q, 0.6, 0.6)).toBeCloseTo(1, 12);
    }
    expect(betaQuantile(0.5, 0.6, 0.6)).toBeCloseTo(0.5, 14);
    // Beta(1, 1) is uniform; Beta(2, 1) has cdf x^2.
    expect(betaQuantile(0.3, 1, 1)).toBeCloseTo(0.3, 14);
    expect(betaQuantile(0.25, 2, 1)).toBeCloseTo(0.5, 14);
  });
});
