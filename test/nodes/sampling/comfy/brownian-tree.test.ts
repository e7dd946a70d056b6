// The Brownian-tree noise (torchsde 0.2.6's BrownianTree as ComfyUI uses it) against the reference's queries,
// and its defining properties: unit variance, independence of disjoint intervals, additivity, order independence.
import { describe, expect, it } from 'vitest';

import { BrownianTree, BrownianTreeNoiseSampler } from '../../../../nodes/sampling/comfy/brownian-tree.ts';
import { relativeError, tensor } from './reference.ts';

const SHAPE = [1, 4, 8, 8] as const;

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    squares += values[i] ** 2;
  }
  const mean = sum / values.length;
  return { mean, variance: squares / values.length - mean ** 2 };
}

describe('Brownian tree noise', () => {
  it("equals the reference for dpmpp_sde's queries on a karras schedule (seed 42)", () => {
    const sigmas = Array.from(tensor('brownian.sigmas'));
    const positive = sigmas.filter((s) => s > 0);
    const sampler = new BrownianTreeNoiseSampler(SHAPE, Math.min(...positive), Math.max(...sigmas), 42);
    const queries = tensor('brownian.queries');
    for (let k = 0; k < queries.length / 2; k++) {
      const noise = sampler.noise(queries[2 * k], queries[2 * k + 1]);
      expect(relativeError(noise, tensor(`brownian.noise.${k}`))).toBeLessThanOrEqual(1e-6);
    }
  });

  it('gives N(0, 1) noise per element for any interval, independent for disjoint intervals', () => {
    const shape = [1, 4, 64, 64] as const;
    const sampler = new BrownianTreeNoiseSampler(shape, 0.03, 14.6, 7);
    const a = sampler.noise(14.6, 3.1);
    const b = sampler.noise(3.1, 0.5);
    const small = sampler.noise(0.21, 0.2);
    for (const z of [a, b, small]) {
      const { mean, variance } = moments(z);
      expect(Math.abs(mean)).toBeLessThan(0.05); // 16384 samples: standard error 0.008
      expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    }
    const { mean } = moments(a.map((v, i) => v * b[i]));
    expect(Math.abs(mean)).toBeLessThan(0.05);
  });

  it('is additive over adjacent intervals and does not depend on the order of queries', () => {
    const first = new BrownianTree(0.03, 14.6, SHAPE, 123n);
    const whole = first.increment(0.5, 9);
    const parts = [first.increment(0.5, 2.25), first.increment(2.25, 9)];
    expect(relativeError(parts[0].map((v, i) => v + parts[1][i]), whole)).toBeLessThan(1e-6);
    const second = new BrownianTree(0.03, 14.6, SHAPE, 123n);
    const later = second.increment(2.25, 9);
    expect(Array.from(second.increment(0.5, 9))).toEqual(Array.from(whole));
    expect(Array.from(later)).toEqual(Array.from(parts[1]));
    expect(relativeError(new BrownianTree(0.03, 14.6, SHAPE, 124n).increment(0.5, 9), whole)).toBeGreaterThan(0.1);
  });
});
