import { MODEL_SAMPLING_KINDS } from '../sampling/comfy/model-sampling.ts';
import { boolean, choice, defineNode, socket } from '../schema.ts';

/**
 * ComfyUI's ModelSamplingDiscrete: how the model's output is read (eps, v_prediction, x0, or lcm with its
 * 50-step table and consistency scalings), optionally with a zero-terminal-SNR schedule. Applies to ComfyUI's
 * samplers and schedulers (not the diffusers ones).
 */
export default defineNode({
  type: 'ModelSamplingDiscrete',
  version: 1,
  category: 'advanced/model',
  description: 'Sets how the model is sampled: eps (SD 1.x), v_prediction, x0, or lcm (for LCM / LCM-LoRA models, with the lcm sampler); zsnr rescales to zero terminal SNR.',
  inputs: {
    model: socket('MODEL'),
    sampling: choice(MODEL_SAMPLING_KINDS, { default: 'eps', description: "The model's parameterisation (ComfyUI's meaning)." }),
    zsnr: boolean({ default: false, description: 'Rescale the noise schedule to zero terminal SNR.' }),
  },
  outputs: { MODEL: socket('MODEL') },
  run(input) {
    return { MODEL: { ...input.model, sampling: { kind: input.sampling, zsnr: input.zsnr } } };
  },
});
