import { checkSamplerScheduler, commonKSampler, KSAMPLER_SAMPLERS, KSAMPLER_SCHEDULERS, migrateSchedulerV1 } from '../sampling/common-ksampler.ts';
import { choice, defineNode, float, int, socket } from '../schema.ts';

export { SD15_SCHEDULER_CONFIG } from '../sampling/run-comfy.ts';

/** Largest seed: torch seeds are 64-bit, JSON numbers are exact up to 2^53 - 1. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

export const SAMPLER_DESCRIPTION =
  "ComfyUI's samplers with ComfyUI's meaning; pndm is diffusers' PLMS (scheduler diffusers only). See docs/SAMPLERS.md.";
export const SCHEDULER_DESCRIPTION =
  "ComfyUI's schedulers with ComfyUI's meaning; diffusers / diffusers_karras: diffusers' own scheduler class for the sampler (same picture as diffusers).";

/**
 * Version 2: sampler and scheduler names mean ComfyUI's. Version 1's `normal` and `karras` were diffusers'
 * spacings; saved v1 workflows are migrated to `diffusers` / `diffusers_karras` and keep their picture.
 */
export default defineNode({
  type: 'KSampler',
  version: 2,
  category: 'sampling',
  description:
    'Denoises a latent with the model, guided by the positive and negative conditioning, as ComfyUI does; the diffusers schedulers give the same picture as diffusers for a seed.',
  inputs: {
    model: socket('MODEL'),
    seed: int({ default: 0, min: 0, max: MAX_SEED, description: 'Noise seed (torch.Generator().manual_seed(seed)).' }),
    steps: int({ default: 20, min: 1, max: 1000, description: 'Denoising steps.' }),
    cfg: float({ default: 7.5, min: 0, max: 100, step: 0.1, round: 0.01, description: 'Classifier-free guidance scale; 1 skips the negative pass.' }),
    sampler_name: choice(KSAMPLER_SAMPLERS, { default: 'euler', description: SAMPLER_DESCRIPTION }),
    scheduler: choice(KSAMPLER_SCHEDULERS, { default: 'normal', description: SCHEDULER_DESCRIPTION }),
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    latent_image: socket('LATENT'),
    denoise: float({ default: 1, min: 0, max: 1, step: 0.01, description: 'Fraction of the schedule to run; below 1 keeps part of the input latent (img2img).' }),
    attention: choice(['auto', 'naive', 'sliced', 'flash'] as const, {
      default: 'auto',
      description: 'Attention kernel: naive (full score matrix), sliced (a slice at a time), flash (memory-efficient, linear memory), auto (by memory).',
    }),
    precision: choice(['model', 'fp32', 'bf16'] as const, {
      default: 'model',
      description: "The UNet's precision for this sampling: the loader's (model), fp32, or bf16 (CPUs with AVX512_BF16; about twice as fast).",
    }),
  },
  outputs: { LATENT: socket('LATENT') },
  migrate: migrateSchedulerV1,
  checkWidgets: (w) => checkSamplerScheduler(w.sampler_name, w.scheduler, w.steps),
  async run(input, ctx) {
    return { LATENT: await commonKSampler(input, ctx) };
  },
});
