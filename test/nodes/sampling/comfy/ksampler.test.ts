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
