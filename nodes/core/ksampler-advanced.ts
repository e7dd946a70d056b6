import { checkSamplerScheduler, commonKSampler, KSAMPLER_SAMPLERS, KSAMPLER_SCHEDULERS } from '../sampling/common-ksampler.ts';
import { choice, defineNode, float, int, socket } from '../schema.ts';
import { MAX_SEED, SAMPLER_DESCRIPTION, SCHEDULER_DESCRIPTION } from './ksampler.ts';

/**
 * ComfyUI's KSamplerAdvanced: KSampler over a part of the schedule, for chaining samplers (e.g. steps 0-10 with
 * leftover noise, then 10-end without adding noise).
 */
export default defineNode({
  type: 'KSamplerAdvanced',
  version: 1,
  category: 'sampling',
  description: 'KSampler over steps start_at_step .. end_at_step of the schedule; optionally without adding noise or returning the leftover noise, to chain samplers.',
  inputs: {
    model: socket('MODEL'),
    add_noise: choice(['enable', 'disable'] as const, { default: 'enable', description: 'disable: start from the latent as it is (a previous pass left its noise in).' }),
    noise_seed: int({ default: 0, min: 0, max: MAX_SEED, description: 'Noise seed (torch.Generator().manual_seed(seed)); also seeds ancestral and SDE noise.' }),
    steps: int({ default: 20, min: 1, max: 1000, description: 'Steps of the whole schedule.' }),
    cfg: float({ default: 8, min: 0, max: 100, step: 0.1, round: 0.01, description: 'Classifier-free guidance scale.' }),
    sampler_name: choice(KSAMPLER_SAMPLERS, { default: 'euler', description: SAMPLER_DESCRIPTION }),
    scheduler: choice(KSAMPLER_SCHEDULERS, { default: 'normal', description: SCHEDULER_DESCRIPTION }),
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    latent_image: socket('LATENT'),
    start_at_step: int({ default: 0, min: 0, max: 10000, description: 'First step run (0 = the start).' }),
    end_at_step: int({ default: 10000, min: 0, max: 10000, description: 'Step to stop at (beyond the last: run to the end).' }),
    return_with_leftover_noise: choice(['disable', 'enable'] as const, {
      default: 'disable',
      description: 'enable: stop at end_at_step with its noise still in the latent (for a next pass); disable: denoise fully there.',
    }),
  },
  outputs: { LATENT: socket('LATENT') },
  checkWidgets: (w) => checkSamplerScheduler(w.sampler_name, w.scheduler, w.steps),
  async run(input, ctx) {
    const latent = await commonKSampler(
      {
        ...input,
        seed: input.noise_seed,
        denoise: 1,
        addNoise: input.add_noise === 'enable',
        startStep: input.start_at_step,
        lastStep: input.end_at_step,
        forceFullDenoise: input.return_with_leftover_noise === 'disable',
      },
      ctx,
    );
    return { LATENT: latent };
  },
});
