import { seededNoise } from '../sampling/comfy/ksampler.ts';
import { runComfySampling } from '../sampling/run-comfy.ts';
import { boolean, defineNode, float, int, socket } from '../schema.ts';
import { MAX_SEED } from './ksampler.ts';

/** ComfyUI's SamplerCustom: a sampler (KSamplerSelect) over given sigmas (a scheduler node), with CFG. */
export default defineNode({
  type: 'SamplerCustom',
  version: 1,
  category: 'sampling/custom_sampling',
  description: 'Samples the latent with a SAMPLER over SIGMAS, with classifier-free guidance; also returns the last x0 prediction.',
  inputs: {
    model: socket('MODEL'),
    add_noise: boolean({ default: true, description: 'Start from latent + seeded noise at the first sigma; off: the latent as it is.' }),
    noise_seed: int({ default: 0, min: 0, max: MAX_SEED, description: 'Noise seed; also seeds ancestral and SDE noise.' }),
    cfg: float({ default: 8, min: 0, max: 100, step: 0.1, round: 0.01, description: 'Guidance scale; 1 skips the negative pass.' }),
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    sampler: socket('SAMPLER'),
    sigmas: socket('SIGMAS'),
    latent_image: socket('LATENT'),
  },
  outputs: { output: socket('LATENT'), denoised_output: socket('LATENT') },
  async run(input, ctx) {
    const shape = input.latent_image.shape;
    const noise = input.add_noise ? seededNoise(shape, input.noise_seed) : new Float32Array(input.latent_image.samples.length);
    const { samples, denoised } = await runComfySampling(
      {
        guider: { model: input.model, positive: input.positive, negative: input.negative, cfg: input.cfg },
        sampler: input.sampler.name,
        sigmas: Array.from(input.sigmas.sigmas),
        noise,
        latent: input.latent_image,
        seed: input.noise_seed,
      },
      ctx,
    );
    return { output: samples, denoised_output: denoised };
  },
});
