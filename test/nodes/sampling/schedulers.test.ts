// Every scheduler against diffusers 0.27.2 (test/fixtures/expected/schedulers.*): timesteps, sigmas, the scaled
// model input, x0 of the first step and the whole chained rollout, for 4 and 20 steps. The contract is the
// README's 1e-5 relative tolerance; what we measured is bit-exact equality, which the tests also pin.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { TorchGenerator } from '../../../nodes/sampling/rng.ts';
import { create, type SamplerName, type ScheduleName } from '../../../nodes/sampling/schedulers/index.ts';
import { gaussKronrod21 } from '../../../nodes/sampling/schedulers/lms.ts';
import { noiseSchedule, resolveBaseConfig, torchLinspaceF32 } from '../../../nodes/sampling/schedulers/schedule.ts';
import { readSafetensors } from '../../helpers/safetensors.ts';

const fixtureUrl = (path: string) => new URL(`../../fixtures/${path}`, import.meta.url).pathname;
const tensors = readSafetensors(fixtureUrl('expected/schedulers.safetensors'));
const config = JSON.parse(readFileSync(fixtureUrl('tiny-sd/scheduler/scheduler_config.json'), 'utf8'));
// Python's json writes lambda_min_clipped as a bare -Infinity, which JSON.parse rejects.
const summary = JSON.parse(readFileSync(fixtureUrl('expected/schedulers.json'), 'utf8').replace(/-Infinity/g, 'null'));

function floats(name: string): Float32Array {
  const tensor = tensors.get(name);
  if (!tensor || tensor.dtype !== 'F32') throw new Error(`schedulers.safetensors has no F32 tensor "${name}"`);
  return tensor.data as Float32Array;
}

function numbers(name: string): number[] {
  const tensor = tensors.get(name);
  if (!tensor) throw new Error(`schedulers.safetensors has no tensor "${name}"`);
  return Array.from(tensor.data as ArrayLike<number | bigint>, Number);
}

/** max |a - b| / max |b| and the count of float32 values that differ at all. */
function compare(actual: ArrayLike<number>, wanted: ArrayLike<number>): { relative: number; differing: number } {
  expect(actual.length).toBe(wanted.length);
  let maxDiff = 0;
  let maxWanted = 0;
  let differing = 0;
  for (let i = 0; i < wanted.length; i++) {
    const diff = Math.abs(actual[i] - wanted[i]);
    if (!(diff === 0)) differing++;
    maxDiff = Math.max(maxDiff, diff);
    maxWanted = Math.max(maxWanted, Math.abs(wanted[i]));
  }
  return { relative: maxDiff / maxWanted, differing };
}

function expectEqual(actual: ArrayLike<number>, wanted: ArrayLike<number>): void {
  const { relative, differing } = compare(actual, wanted);
  expect(relative).toBeLessThanOrEqual(1e-5);
  expect(differing).toBe(0);
}

const RUNS: [fixture: string, sampler: SamplerName, schedule: ScheduleName][] = [
  ['ddim', 'ddim', 'normal'],
  ['pndm', 'pndm', 'normal'],
  ['euler', 'euler', 'normal'],
  ['euler_ancestral', 'euler_ancestral', 'normal'],
  ['lms', 'lms', 'normal'],
  ['dpmpp_2m', 'dpmpp_2m', 'normal'],
  ['dpmpp_2m_karras', 'dpmpp_2m', 'karras'],
];

describe('schedulers: the training noise schedule', () => {
  it('betas and alphas_cumprod equal torch float32 bit for bit (measured max error 0)', () => {
    const { betas, alphasCumprod } = noiseSchedule(resolveBaseConfig(config, 'ddim', { timestepSpacing: 'leading' }));
    expectEqual(betas, floats('betas'));
    expectEqual(alphasCumprod, floats('alphas_cumprod'));
  });

  it('torch.linspace emulation: ends exact, monotone, awkward lengths', () => {
    for (const steps of [1, 2, 15, 16, 17, 31, 33, 1000]) {
      const values = torchLinspaceF32(0.1, 0.9, steps);
      expect(values.length).toBe(steps);
      expect(values[0]).toBe(Math.fround(0.1));
      if (steps > 1) expect(values[steps - 1]).toBe(Math.fround(0.9));
      for (let i = 1; i < steps; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
      for (let i = 0; i < steps; i++) expect(Math.abs(values[i] - (0.1 + (0.8 * i) / Math.max(steps - 1, 1)))).toBeLessThan(1e-6);
    }
  });
});

describe.each(RUNS)('scheduler %s (%s, %s)', (fixture, sampler, schedule) => {
  describe.each([4, 20])('%i steps', (steps) => {
    const prefix = `${fixture}.${steps}.`;
    const run = summary.schedulers[fixture].runs[String(steps)];

    it('timesteps, sigmas and init_noise_sigma equal diffusers (measured max error 0)', () => {
      const scheduler = create(sampler, schedule, config, steps);
      expect(scheduler.timesteps).toEqual(numbers(`${prefix}timesteps`));
      expect(scheduler.initNoiseSigma).toBe(Math.fround(run.init_noise_sigma));
      if (tensors.has(`${prefix}sigmas`)) expectEqual(scheduler.sigmas!, floats(`${prefix}sigmas`));
      else expect(scheduler.sigmas).toBeUndefined();
    });

    it('the rollout: x_init, scaled input, x0 of step 0 and every prev_sample (measured max error 0)', () => {
      const scheduler = create(sampler, schedule, config, steps);
      const xInit = floats('sample0').map((v) => v * scheduler.initNoiseSigma);
      expectEqual(xInit, floats(`${prefix}x_init`));
      expectEqual(scheduler.scaleModelInput(xInit, 0), floats(`${prefix}scaled_model_input.0`));
      const generator = new TorchGenerator(summary.ancestral_generator_seed);
      let x: Float32Array = xInit;
      expect(scheduler.timesteps.length).toBe(run.rollout_len);
      for (let i = 0; i < scheduler.timesteps.length; i++) {
        const result = scheduler.step(floats(`model_output.${i}`), i, x, generator);
        if (i === 0 && tensors.has(`${prefix}pred_original_sample.0`)) {
          expectEqual(result.predOriginalSample, floats(`${prefix}pred_original_sample.0`));
        }
        expectEqual(result.prevSample, floats(`${prefix}prev_sample.${i}`));
        x = result.prevSample;
      }
    });
  });
});

describe('schedulers: configuration and errors', () => {
  it('refuses karras where the diffusers class has no karras sigmas', () => {
    expect(() => create('ddim', 'karras', config, 10)).toThrow(/ddim.*no karras schedule/);
    expect(() => create('pndm', 'karras', config, 10)).toThrow(/no karras schedule/);
  });

  it('names the file and key of options it does not implement', () => {
    expect(() => create('euler', 'normal', { ...config, prediction_type: 'v_prediction' }, 10)).toThrow(
      /scheduler_config\.json \(euler\): prediction_type "v_prediction"/,
    );
    expect(() => create('pndm', 'normal', { ...config, skip_prk_steps: false }, 10)).toThrow(/skip_prk_steps/);
    expect(() => create('dpmpp_2m', 'normal', { ...config, solver_order: 3 }, 10)).toThrow(/solver_order 3/);
    expect(() => create('ddim', 'normal', { ...config, beta_schedule: 'sigmoid' }, 10)).toThrow(/beta_schedule "sigmoid"/);
    expect(() => create('lms', 'normal', config, 0)).toThrow(/steps must be an integer in \[1, 1000\]/);
    expect(() => create('euler', 'normal', config, 1001)).toThrow(/steps must be/);
  });

  it('uses each class\'s own defaults where the file is silent (DDIM leading + offset, Euler linspace)', () => {
    expect(create('ddim', 'normal', config, 4).timesteps).toEqual([751, 501, 251, 1]);
    expect(create('euler', 'normal', config, 4).timesteps).toEqual([999, 666, 333, 0]);
    // An explicit spacing wins over the class default: Euler 'leading' -> init sigma sqrt(sigma_max^2 + 1).
    const leading = create('euler', 'normal', { ...config, timestep_spacing: 'leading' }, 4);
    expect(leading.timesteps).toEqual([751, 501, 251, 1]);
    expect(leading.initNoiseSigma).toBeCloseTo(Math.sqrt(leading.sigmas![0] ** 2 + 1), 5);
    const trailing = create('ddim', 'normal', { ...config, timestep_spacing: 'trailing' }, 4);
    expect(trailing.timesteps).toEqual([999, 749, 499, 249]);
  });

  it('karras schedules for euler and lms span the same sigma range as dpm++', () => {
    const dpm = create('dpmpp_2m', 'karras', config, 10);
    for (const sampler of ['euler', 'lms', 'euler_ancestral'] as const) {
      const scheduler = create(sampler, 'karras', config, 10);
      expect(scheduler.sigmas!.length).toBe(11);
      expect(scheduler.sigmas![10]).toBe(0);
      for (let i = 0; i < 10; i++) expect(scheduler.sigmas![i]).toBeCloseTo(dpm.sigmas![i], 5);
      // timesteps are the fractional training timesteps of those sigmas (dpm++ rounds them)
      for (let i = 0; i < 10; i++) expect(Math.abs(scheduler.timesteps[i] - dpm.timesteps[i])).toBeLessThanOrEqual(0.5);
    }
  });

  it('step checks the index and the model output size', () => {
    const scheduler = create('euler', 'normal', config, 4);
    const x = new Float32Array(8);
    expect(() => scheduler.step(new Float32Array(7), 0, x)).toThrow(/model output has 7 values but the sample has 8/);
    expect(() => scheduler.step(new Float32Array(8), 4, x)).toThrow(/step index 4 is outside \[0, 4\)/);
    expect(() => create('euler_ancestral', 'normal', config, 4).step(x, 0, x)).toThrow(/needs the seeded generator/);
  });
});

describe('schedulers: LMS quadrature', () => {
  it('the 21-point Gauss-Kronrod rule integrates polynomials up to degree 31 exactly', () => {
    // integral of x^31 over [0, 1] = 1/32; of (x - 2)(x + 1) over [3, -1] (reversed bounds) = -(integral over [-1, 3])
    expect(gaussKronrod21((x) => x ** 31, 0, 1)).toBeCloseTo(1 / 32, 14);
    const cubic = (x: number) => (x - 2) * (x + 1) * (x - 0.5);
    const antiderivative = (x: number) => x ** 4 / 4 - (1.5 * x ** 3) / 3 - (1.5 * x ** 2) / 2 + x;
    expect(gaussKronrod21(cubic, 3, -1)).toBeCloseTo(antiderivative(-1) - antiderivative(3), 12);
    expect(gaussKronrod21(Math.exp, 0, 1)).toBeCloseTo(Math.E - 1, 14);
  });
});
