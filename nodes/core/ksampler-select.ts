import { COMFY_SAMPLER_NAMES } from '../sampling/comfy/samplers/index.ts';
import { choice, defineNode, socket } from '../schema.ts';

/** ComfyUI's KSamplerSelect: a sampling algorithm by name, for SamplerCustom / SamplerCustomAdvanced. */
export default defineNode({
  type: 'KSamplerSelect',
  version: 1,
  category: 'sampling/custom_sampling/samplers',
  description: "Picks one of ComfyUI's samplers for SamplerCustom or SamplerCustomAdvanced.",
  inputs: {
    sampler_name: choice(COMFY_SAMPLER_NAMES, { default: 'euler', description: "The sampler, with ComfyUI's meaning (docs/SAMPLERS.md)." }),
  },
  outputs: { SAMPLER: socket('SAMPLER') },
  run(input) {
    return { SAMPLER: { name: input.sampler_name } };
  },
});
