// ComfyUI's sampling end to end on the tiny fixture model against the reference (scripts/reference/, written from
// ComfyUI's published algorithms, run with PyTorch on the same weights): every sampler x scheduler over 4 steps,
// cfg 7.5, seed 42, and the cases around them (batch noise, img2img, KSamplerAdvanced passes, cfg 1, LCM, areas,
// timestep ranges). Contract: final latents within 1e-4 x max|ref|; a rerun is bit-identical.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ModelHandle } from '../../../../native/index.ts';
import type { Conditioning } from '../../../../nodes/sampling/comfy/conditioning.ts';
import type { UNetCall } from '../../../../nodes/sampling/comfy/guidance.ts';
import { comfySample, ksamplerSigmas, seededNoise, stepRange } from '../../../../nodes/sampling/comfy/ksampler.ts';
import type { ModelSampling } from '../../../../nodes/sampling/comfy/model-sampling.ts';
import { COMFY_SAMPLER_NAMES, type ComfySamplerName } from '../../../../nodes/sampling/comfy/samplers/index.ts';
import { COMFY_SCHEDULER_NAMES, type ComfySchedulerName } from '../../../../nodes/sampling/comfy/schedulers.ts';
import type { LatentShape } from '../../../../nodes/sampling/sample.ts';
import { eps, lcm, loadTinyUnet, plain, prompt, relativeError, tensor } from './reference.ts';

const BOUND = 1e-4;
const positive = plain(prompt(4)); // "a small cat"
const negative = plain(prompt(5)); // ""

let model: ModelHandle;
let unet: UNetCall;
beforeAll(async () => {
  ({ model, unet } = await loadTinyUnet());
});
afterAll(() => model.dispose());

interface Run {
  ms?: ModelSampling;
  sampler: ComfySamplerName;
  scheduler: ComfySchedulerName;
  shape?: LatentShape;
  seed?: number;
  cfg?: number;
  steps?: number;
  denoise?: number;
  latent?: Float32Array;
  addNoise?: boolean;
  start?: number;
  end?: number;
  forceFullDenoise?: boolean;
  conditioning?: { positive: Conditioning; negative: Conditioning };
}

/** common_ksampler: sigmas, the step range, seeded noise, sampling. */
async function ksampler(run: Run): Promise<{ samples: Float32Array; denoised: Float32Array }> {
  const ms = run.ms ?? eps;
  const shape = run.shape ?? [1, 4, 8, 8];
  const numel = shape.reduce((a, b) => a * b, 1);
  const seed = run.seed ?? 42;
  const latent = run.latent ?? new Float32Array(numel);
  let sigmas: number[] | null = ksamplerSigmas(ms, run.sampler, run.scheduler, run.steps ?? 4, run.denoise ?? 1);
  if (run.start !== undefined) sigmas = stepRange(sigmas, run.start, run.end ?? 10000, run.forceFullDenoise ?? true);
  if (sigmas === null) return { samples: latent, denoised: latent };
  const noise = run.addNoise === false ? new Float32Array(numel) : seededNoise(shape, seed);
  const conditioning = run.conditioning ?? { positive, negative };
  return comfySample({ unet, modelSampling: ms, sampler: run.sampler, sigmas, noise, latent, shape, cfg: run.cfg ?? 7.5, seed, ...conditioning });
}

const table = new Map<string, number>();

describe('ComfyUI sampling matches the reference: every sampler x scheduler, 4 steps, cfg 7.5, seed 42', () => {
  afterAll(() => {
    const header = ['sampler', ...COMFY_SCHEDULER_NAMES].join(' | ');
    const rows = COMFY_SAMPLER_NAMES.map((s) => [s, ...COMFY_SCHEDULER_NAMES.map((c) => table.get(`${s}.${c}`)?.toExponential(1) ?? '-')].join(' | '));
    console.log(`max |latent - ref| / max |ref|\n| ${header} |\n${rows.map((r) => `| ${r} |`).join('\n')}`);
  });

  describe.each(COMFY_SAMPLER_NAMES.map((s) => [s]))('%s', (sampler) => {
    it.each(COMFY_SCHEDULER_NAMES.map((c) => [c]))(`%s within ${BOUND} x max|ref|`, async (scheduler) => {
      const { samples } = await ksampler({ sampler, scheduler });
      const error = relativeError(samples, tensor(`ksampler.${sampler}.${scheduler}`));
      table.set(`${sampler}.${scheduler}`, error);
      expect(error).toBeLessThanOrEqual(BOUND);
    });
  });
});

describe('ComfyUI sampling matches the reference around KSampler', () => {
  const cases: Array<[key: string, run: () => Run]> = [
    ['batch2.euler_ancestral.normal', () => ({ sampler: 'euler_ancestral', scheduler: 'normal', shape: [2, 4, 8, 8], seed: 7 })],
    ['batch2.dpmpp_2m_sde.karras', () => ({ sampler: 'dpmpp_2m_sde', scheduler: 'karras', shape: [2, 4, 8, 8], seed: 7 })],
    ...(['euler.normal', 'dpmpp_2m.karras', 'dpmpp_2m_sde.exponential', 'uni_pc.simple'] as const).map(
      (name): [string, () => Run] => [`img2img.${name}`, () => {
        const [sampler, scheduler] = name.split('.') as [ComfySamplerName, ComfySchedulerName];
        return { sampler, scheduler, seed: 3, denoise: 0.6, latent: tensor('img2img.latent') };
      }],
    ),
    ['cfg1.euler.normal', () => ({ sampler: 'euler', scheduler: 'normal', cfg: 1 })],
    ['advanced.pass1', () => ({ sampler: 'euler_ancestral', scheduler: 'karras', seed: 11, cfg: 5, steps: 6, start: 0, end: 3, forceFullDenoise: false })],
    ['advanced.pass2', () => ({ sampler: 'euler_ancestral', scheduler: 'karras', seed: 11, cfg: 5, steps: 6, addNoise: false, start: 3, end: 10000, latent: tensor('advanced.pass1') })],
    ['advanced.end_early', () => ({ sampler: 'dpmpp_2m', scheduler: 'normal', seed: 11, cfg: 5, steps: 6, start: 1, end: 4 })],
    ...(['lcm.sgm_uniform', 'lcm.normal', 'euler.simple'] as const).map((name): [string, () => Run] => [`lcm_model.${name}`, () => {
      const [sampler, scheduler] = name.split('.') as [ComfySamplerName, ComfySchedulerName];
      return { ms: lcm, sampler, scheduler, seed: 9, cfg: 1.5 };
    }]),
  ];
  it.each(cases)(`%s within ${BOUND} x max|ref|`, async (key, run) => {
    const { samples } = await ksampler(run());
    const error = relativeError(samples, tensor(key));
    console.log(`${key}: ${error.toExponential(1)}`);
    expect(error).toBeLessThanOrEqual(BOUND);
  });

  it('areas: a pixel area (64x64 at 32, 16) at strength 0.8 and a percentage area at 1.2 over a full prompt, 16x16 latent', async () => {
    const conditioning = {
      positive: [
        ...plain(prompt(4)),
        { ...plain(prompt(0))[0], area: { unit: 'latent' as const, height: 8, width: 8, y: 2, x: 4 }, strength: 0.8 },
        { ...plain(prompt(1))[0], area: { unit: 'percentage' as const, height: 0.5, width: 0.25, y: 0.5, x: 0.75 }, strength: 1.2 },
      ],
      negative: plain(prompt(5)),
    };
    for (const [sampler, scheduler] of [['euler', 'normal'], ['dpmpp_2m', 'karras']] as const) {
      const { samples } = await ksampler({ sampler, scheduler, shape: [1, 4, 16, 16], seed: 21, cfg: 6, conditioning });
      const error = relativeError(samples, tensor(`area.${sampler}.${scheduler}`));
      console.log(`area.${sampler}.${scheduler}: ${error.toExponential(1)}`);
      expect(error).toBeLessThanOrEqual(BOUND);
    }
  });

  it('timestep ranges, a 154-token concat batched with 77-token entries, an average and a zeroed negative', async () => {
    const concat = tensor('conditioning.concat');
    const average = tensor('conditioning.average');
    const conditioning = {
      positive: [
        { ...plain(prompt(0))[0], startPercent: 0, endPercent: 0.5 },
        { ...plain(concat, 154)[0], startPercent: 0.5, endPercent: 1 },
        ...plain(average),
      ],
      negative: plain(new Float32Array(77 * 32)),
    };
    for (const [sampler, scheduler] of [['dpmpp_2m', 'karras'], ['euler', 'normal']] as const) {
      const { samples } = await ksampler({ sampler, scheduler, seed: 5, cfg: 4, conditioning });
      const error = relativeError(samples, tensor(`timerange.${sampler}.${scheduler}`));
      console.log(`timerange.${sampler}.${scheduler}: ${error.toExponential(1)}`);
      expect(error).toBeLessThanOrEqual(BOUND);
    }
  });

  it("the last x0 prediction (SamplerCustom's denoised_output)", async () => {
    const { denoised } = await ksampler({ sampler: 'euler', scheduler: 'normal' });
    expect(relativeError(denoised, tensor('denoised.euler.normal'))).toBeLessThanOrEqual(BOUND);
  });

  it.each([['euler', 'karras'], ['euler_ancestral', 'normal'], ['dpmpp_sde', 'karras'], ['dpmpp_3m_sde', 'exponential'], ['uni_pc', 'sgm_uniform'], ['lcm', 'simple']] as const)(
    '%s / %s: a rerun with the same seed is bit-identical, another seed differs',
    async (sampler, scheduler) => {
      const first = await ksampler({ sampler, scheduler, seed: 1234 });
      const second = await ksampler({ sampler, scheduler, seed: 1234 });
      expect(Buffer.from(second.samples.buffer).equals(Buffer.from(first.samples.buffer))).toBe(true);
      const other = await ksampler({ sampler, scheduler, seed: 1235 });
      expect(relativeError(other.samples, first.samples)).toBeGreaterThan(1e-2);
    },
  );
});
