// The sampling loop with a deterministic "model" that returns the fixtures' model_output.i: the chained loop must
// land on the scheduler rollouts of diffusers; plus guidance maths, img2img start, progress and cancellation.
import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { latentToRgbPreview } from '../../../nodes/sampling/preview.ts';
import { randn, TorchGenerator } from '../../../nodes/sampling/rng.ts';
import {
  cfgCombine,
  type Conditioning,
  img2imgStartIndex,
  type LatentShape,
  type PredictNoise,
  sample,
} from '../../../nodes/sampling/sample.ts';
import { create, type SamplerName, type ScheduleName } from '../../../nodes/sampling/schedulers/index.ts';
import { readSafetensors } from '../../helpers/safetensors.ts';

const fixtureUrl = (path: string) => new URL(`../../fixtures/${path}`, import.meta.url).pathname;
const tensors = readSafetensors(fixtureUrl('expected/schedulers.safetensors'));
const schedulerConfig = JSON.parse(readFileSync(fixtureUrl('tiny-sd/scheduler/scheduler_config.json'), 'utf8'));
const SAMPLE0_SEED = 5200; // schedulers.json: sample0 = torch.randn([1, 4, 8, 8], seed 5200)
const SHAPE: LatentShape = [1, 4, 8, 8];

function floats(name: string, file = tensors): Float32Array {
  const tensor = file.get(name);
  if (!tensor || tensor.dtype !== 'F32') throw new Error(`fixture has no F32 tensor "${name}"`);
  return tensor.data as Float32Array;
}

/** Conditioning filled with one value, so a test can see which one reached the model. */
function conditioning(value: number, batch = 1): Conditioning {
  return { data: new Float32Array(batch * 77 * 32).fill(value), shape: [batch, 77, 32] };
}

interface Call {
  x: Float32Array;
  shape: LatentShape;
  t: number;
  context: Conditioning;
}

/** A model that answers call n with `answer(n)` and records its inputs. */
function recordingModel(answer: (call: number, shape: LatentShape) => Float32Array): { predictNoise: PredictNoise; calls: Call[] } {
  const calls: Call[] = [];
  const predictNoise: PredictNoise = async (x, shape, t, context) => {
    calls.push({ x: x.slice(), shape, t, context });
    return answer(calls.length - 1, shape);
  };
  return { predictNoise, calls };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const ROLLOUTS: [fixture: string, sampler: SamplerName, schedule: ScheduleName][] = [
  ['ddim', 'ddim', 'normal'],
  ['pndm', 'pndm', 'normal'],
  ['euler', 'euler', 'normal'],
  ['lms', 'lms', 'normal'],
  ['dpmpp_2m', 'dpmpp_2m', 'normal'],
  ['dpmpp_2m_karras', 'dpmpp_2m', 'karras'],
];

describe('sample: the loop chains scheduler steps like diffusers', () => {
  describe.each(ROLLOUTS)('%s', (fixture, sampler, schedule) => {
    it.each([4, 20])('%i steps, cfg 1: final latent equals the fixture rollout (measured max error 0)', async (steps) => {
      const { predictNoise, calls } = recordingModel((call) => floats(`model_output.${call}`));
      const progress: number[] = [];
      const result = await sample({
        predictNoise,
        sampler,
        schedule,
        schedulerConfig,
        steps,
        cfg: 1,
        seed: SAMPLE0_SEED,
        positive: conditioning(1),
        negative: conditioning(-1),
        shape: SHAPE,
        onProgress: ({ step, total }) => progress.push(step, total),
      });
      const prefix = `${fixture}.${steps}.`;
      const modelCalls = sampler === 'pndm' ? steps + 1 : steps;
      expect(calls.length).toBe(modelCalls);
      expect(maxAbsDiff(calls[0].x, floats(`${prefix}scaled_model_input.0`))).toBe(0);
      expect(calls.map((c) => c.t)).toEqual(Array.from(tensors.get(`${prefix}timesteps`)!.data as ArrayLike<number | bigint>, Number));
      expect(calls.every((c) => c.context.data[0] === 1 && c.shape[0] === 1)).toBe(true); // cfg 1: positive only
      expect(maxAbsDiff(result, floats(`${prefix}prev_sample.${modelCalls - 1}`))).toBe(0);
      expect(progress).toEqual(Array.from({ length: modelCalls }, (_, i) => [i + 1, modelCalls]).flat());
    });
  });

  it('euler_ancestral draws its step noise from the seed\'s generator after the initial noise', async () => {
    const steps = 4;
    const { predictNoise } = recordingModel((call) => floats(`model_output.${call}`));
    const result = await sample({
      predictNoise, sampler: 'euler_ancestral', schedule: 'normal', schedulerConfig, steps, cfg: 1, seed: 77,
      positive: conditioning(1), negative: conditioning(-1), shape: SHAPE,
    });
    // The same by hand: one generator, initial noise first, then one randn per step inside the scheduler.
    const scheduler = create('euler_ancestral', 'normal', schedulerConfig, steps);
    const generator = new TorchGenerator(77);
    let x: Float32Array = randn(SHAPE, generator).map((v) => Math.fround(v * scheduler.initNoiseSigma));
    for (let i = 0; i < steps; i++) x = scheduler.step(floats(`model_output.${i}`), i, x, generator).prevSample;
    expect(maxAbsDiff(result, x)).toBe(0);
  });

  it('the initial noise of seed 42 is the pipeline fixtures\' initial_noise_unscaled, and their timesteps match', () => {
    for (const [file, sampler] of [['pipeline_ddim', 'ddim'], ['pipeline_euler', 'euler']] as const) {
      const pipeline = readSafetensors(fixtureUrl(`expected/${file}.safetensors`));
      expect(maxAbsDiff(randn(SHAPE, new TorchGenerator(42)), floats('initial_noise_unscaled', pipeline))).toBe(0);
      expect(create(sampler, 'normal', schedulerConfig, 4).timesteps).toEqual(Array.from(floats('timesteps', pipeline)));
    }
  });
});

describe('sample: classifier-free guidance', () => {
  it('runs uncond and cond in one batch of 2 (order [negative, positive]) and combines them in float32', async () => {
    const steps = 4;
    const cfg = 7.5;
    // uncond answer = model_output.i, cond answer = model_output.(i + 10)
    const { predictNoise, calls } = recordingModel((call, shape) => {
      expect(shape).toEqual([2, 4, 8, 8]);
      const out = new Float32Array(2 * 256);
      out.set(floats(`model_output.${call}`), 0);
      out.set(floats(`model_output.${call + 10}`), 256);
      return out;
    });
    const result = await sample({
      predictNoise, sampler: 'ddim', schedule: 'normal', schedulerConfig, steps, cfg, seed: SAMPLE0_SEED,
      positive: conditioning(1), negative: conditioning(-1), shape: SHAPE,
    });
    for (const call of calls) {
      expect(maxAbsDiff(call.x.subarray(0, 256), call.x.subarray(256))).toBe(0); // the same latent twice
      expect(call.context.shape).toEqual([2, 77, 32]);
      expect(call.context.data[0]).toBe(-1); // negative first
      expect(call.context.data[77 * 32]).toBe(1); // then positive
    }
    const scheduler = create('ddim', 'normal', schedulerConfig, steps);
    let x: Float32Array = floats('sample0');
    for (let i = 0; i < steps; i++) {
      const eps = cfgCombine(floats(`model_output.${i}`), floats(`model_output.${i + 10}`), cfg);
      x = scheduler.step(eps, i, x).prevSample;
    }
    expect(maxAbsDiff(result, x)).toBe(0);
  });

  it('cfgCombine = uncond + cfg * (cond - uncond) (within float32 rounding of the float64 value)', () => {
    const uncond = floats('model_output.0');
    const cond = floats('model_output.1');
    for (const cfg of [0, 1, 2.5, 7.5, 12.3]) {
      const combined = cfgCombine(uncond, cond, cfg);
      for (let k = 0; k < uncond.length; k++) {
        const exact = uncond[k] + cfg * (cond[k] - uncond[k]);
        expect(Math.abs(combined[k] - exact)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(exact)));
      }
    }
    expect(Array.from(cfgCombine(new Float32Array([1]), new Float32Array([3]), 7.5))).toEqual([16]);
  });

  it('repeats a batch-1 conditioning for a batch of latents and refuses mismatched batches', async () => {
    const { predictNoise, calls } = recordingModel((_, shape) => new Float32Array(shape[0] * 4 * 8 * 8));
    await sample({
      predictNoise, sampler: 'euler', schedule: 'normal', schedulerConfig, steps: 2, cfg: 5, seed: 1,
      positive: conditioning(1), negative: conditioning(-1), shape: [3, 4, 8, 8],
    });
    expect(calls[0].shape).toEqual([6, 4, 8, 8]);
    expect(Array.from(calls[0].context.data.filter((_, i) => i % (77 * 32) === 0))).toEqual([-1, -1, -1, 1, 1, 1]);
    await expect(
      sample({
        predictNoise, sampler: 'euler', schedule: 'normal', schedulerConfig, steps: 2, cfg: 5, seed: 1,
        positive: conditioning(1, 2), negative: conditioning(-1), shape: [3, 4, 8, 8],
      }),
    ).rejects.toThrow(/positive conditioning has batch 2 but the latent batch is 3/);
  });
});

describe('sample: img2img (denoise < 1)', () => {
  it.each([
    ['ddim', 0.5, [251, 1]],
    ['euler', 0.5, [333, 0]],
    ['dpmpp_2m', 0.75, [749, 500, 250]],
    // PNDM enters its list [751, 501, 501, 251, 1] at index 2, as diffusers slices timesteps[t_start:]
    ['pndm', 0.5, [501, 251, 1]],
  ] as const)('%s, denoise %f: skips the first steps and starts from add_noise(latent, noise, t_start)', async (sampler, denoise, timesteps) => {
    const steps = 4;
    const latent = floats('model_output.20'); // any fixed "encoded image"
    const { predictNoise, calls } = recordingModel((call) => floats(`model_output.${call}`));
    await sample({
      predictNoise, sampler, schedule: 'normal', schedulerConfig, steps, cfg: 1, seed: 9,
      positive: conditioning(1), negative: conditioning(-1), shape: SHAPE, initLatent: latent, denoise,
    });
    expect(calls.map((c) => c.t)).toEqual(timesteps);
    const scheduler = create(sampler, 'normal', schedulerConfig, steps);
    const start = img2imgStartIndex(steps, denoise, scheduler);
    expect(scheduler.timesteps[start]).toBe(timesteps[0]);
    const noise = randn(SHAPE, new TorchGenerator(9));
    // Independent float64 reference of the noised start, scaled for the model.
    const sigmaOrAlpha = (i: number) => {
      if (scheduler.sigmas) return { a: 1, s: scheduler.sigmas[i], sigma: scheduler.sigmas[i] };
      const alphaBar = alphasCumprodAt(scheduler.timesteps[i]);
      return { a: Math.sqrt(alphaBar), s: Math.sqrt(1 - alphaBar), sigma: 0 };
    };
    let { a, s } = sigmaOrAlpha(start);
    if (sampler === 'dpmpp_2m') {
      a = 1 / Math.sqrt(scheduler.sigmas![start] ** 2 + 1);
      s = scheduler.sigmas![start] * a;
    }
    const scale = sampler === 'euler' ? 1 / Math.sqrt(scheduler.sigmas![start] ** 2 + 1) : 1;
    const expected = latent.map((v, k) => (a * v + s * noise[k]) * scale);
    expect(maxAbsDiff(calls[0].x, expected)).toBeLessThan(1e-5);
  });

  it('keeps floor(steps * denoise) steps; zero kept steps returns the latent unchanged', async () => {
    const scheduler = create('ddim', 'normal', schedulerConfig, 10);
    expect(img2imgStartIndex(10, 1, scheduler)).toBe(0);
    expect(img2imgStartIndex(10, 0.35, scheduler)).toBe(7);
    expect(img2imgStartIndex(10, 0.05, scheduler)).toBe(10);
    const { predictNoise, calls } = recordingModel(() => new Float32Array(256));
    const latent = floats('model_output.3');
    const out = await sample({
      predictNoise, sampler: 'ddim', schedule: 'normal', schedulerConfig, steps: 10, cfg: 7, seed: 0,
      positive: conditioning(1), negative: conditioning(-1), shape: SHAPE, initLatent: latent, denoise: 0.05,
    });
    expect(calls.length).toBe(0);
    expect(maxAbsDiff(out, latent)).toBe(0);
  });

  it('refuses denoise < 1 without an input latent, and out-of-range values', async () => {
    const { predictNoise } = recordingModel(() => new Float32Array(256));
    const base = { predictNoise, sampler: 'ddim' as const, schedule: 'normal' as const, schedulerConfig, steps: 4, cfg: 1, seed: 0, positive: conditioning(1), negative: conditioning(-1), shape: SHAPE };
    await expect(sample({ ...base, denoise: 0.5 })).rejects.toThrow(/denoise < 1 needs an input latent/);
    await expect(sample({ ...base, denoise: 0 })).rejects.toThrow(/denoise must be in \(0, 1\]/);
    await expect(sample({ ...base, initLatent: new Float32Array(10) })).rejects.toThrow(/input latent has 10 values, expected 256/);
  });
});

describe('sample: progress, previews, cancellation and model errors', () => {
  it('stops between steps when the signal aborts, without calling the model again', async () => {
    const controller = new AbortController();
    const { predictNoise, calls } = recordingModel((call) => floats(`model_output.${call}`));
    const seen: number[] = [];
    const run = sample({
      predictNoise, sampler: 'euler', schedule: 'normal', schedulerConfig, steps: 20, cfg: 1, seed: 0,
      positive: conditioning(1), negative: conditioning(-1), shape: SHAPE, signal: controller.signal,
      onProgress: ({ step }) => {
        seen.push(step);
        if (step === 3) controller.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toEqual([1, 2, 3]);
    expect(calls.length).toBe(3);
  });

  it('an already-aborted signal runs no step', async () => {
    const { predictNoise, calls } = recordingModel(() => new Float32Array(256));
    await expect(
      sample({
        predictNoise, sampler: 'lms', schedule: 'normal', schedulerConfig, steps: 4, cfg: 1, seed: 0,
        positive: conditioning(1), negative: conditioning(-1), shape: SHAPE, signal: AbortSignal.abort(),
      }),
    ).rejects.toThrow();
    expect(calls.length).toBe(0);
  });

  it('sends one preview per step: H x W RGB of the x0 estimate', async () => {
    const { predictNoise } = recordingModel((call) => floats(`model_output.${call}`).slice(0, 4 * 8 * 6));
    const previews: { step: number; width: number; height: number; length: number }[] = [];
    await sample({
      predictNoise, sampler: 'dpmpp_2m', schedule: 'karras', schedulerConfig, steps: 5, cfg: 1, seed: 0,
      positive: conditioning(1), negative: conditioning(-1), shape: [1, 4, 8, 6],
      onPreview: ({ step, width, height, rgb }) => previews.push({ step, width, height, length: rgb.length }),
    });
    expect(previews).toEqual([1, 2, 3, 4, 5].map((step) => ({ step, width: 6, height: 8, length: 8 * 6 * 3 })));
  });

  it('the first preview shows diffusers\' x0 of step 0 (DDIM, fixture pred_original_sample.0)', async () => {
    const { predictNoise } = recordingModel((call) => floats(`model_output.${call}`));
    const previews: Uint8Array[] = [];
    await sample({
      predictNoise, sampler: 'ddim', schedule: 'normal', schedulerConfig, steps: 4, cfg: 1, seed: SAMPLE0_SEED,
      positive: conditioning(1), negative: conditioning(-1), shape: SHAPE, onPreview: ({ rgb }) => previews.push(rgb),
    });
    expect(previews[0]).toEqual(latentToRgbPreview(floats('ddim.4.pred_original_sample.0'), 8, 8).rgb);
  });

  it('names the timestep when the model returns the wrong size', async () => {
    const { predictNoise } = recordingModel(() => new Float32Array(255));
    await expect(
      sample({
        predictNoise, sampler: 'ddim', schedule: 'normal', schedulerConfig, steps: 4, cfg: 1, seed: 0,
        positive: conditioning(1), negative: conditioning(-1), shape: SHAPE,
      }),
    ).rejects.toThrow(/model returned 255 values at timestep 751, expected 256/);
  });
});

/** alphas_cumprod[t] from the fixture (float32). */
function alphasCumprodAt(t: number): number {
  return floats('alphas_cumprod')[t];
}
