import { seededNoise } from '../sampling/comfy/ksampler.ts';
import { runComfySampling } from '../sampling/run-comfy.ts';
import { defineNode, socket } from '../schema.ts';

/** ComfyUI's SamplerCustomAdvanced: NOISE, GUIDER, SAMPLER and SIGMAS, each from its own node. */
export default defineNode({
  type: 'SamplerCustomAdvanced',
  version: 1,
  category: 'sampling/custom_sampling',
  description: 'Samples the latent from its parts: starting noise, guider (model, conditioning, cfg), sampler and sigmas; also returns the last x0 prediction.',
  inputs: {
    noise: socket('NOISE'),
    guider: socket('GUIDER'),
    sampler: socket('SAMPLER'),
    sigmas: socket('SIGMAS'),
    latent_image: socket('LATENT'),
  },
  outputs: { output: socket('LATENT'), denoised_output: socket('LATENT') },
  async run(input, ctx) {
    const shape = input.latent_image.shape;
    const noise = input.noise.kind === 'random' ? seededNoise(shape, input.noise.seed) : new Float32Array(input.latent_image.samples.length);
    const { samples, denoised } = await runComfySampling(
      { guider: input.guider, sampler: input.sampler.name, sigmas: Array.from(input.sigmas.sigmas), noise, latent: input.latent_image, seed: input.noise.seed },
      ctx,
    );
    return { output: samples, denoised_output: denoised };
  },
});
