import { applyControlNet, checkHintImage } from '../sampling/comfy/apply-controlnet.ts';
import { defineNode, float, optional, socket } from '../schema.ts';

/** ComfyUI's ControlNetApplyAdvanced ("Apply ControlNet"). */
export default defineNode({
  type: 'ControlNetApplyAdvanced',
  version: 1,
  category: 'conditioning/controlnet',
  displayName: 'Apply ControlNet',
  description:
    'Steers both conditionings with a ControlNet and its hint picture (resized to the latent x 8 with nearest-exact after a center crop) ' +
    'between start_percent and end_percent of the schedule. Applied again, ControlNets stack (their residuals add up).',
  inputs: {
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    control_net: socket('CONTROL_NET'),
    image: socket('IMAGE'),
    strength: float({ default: 1, min: 0, max: 10, step: 0.01, description: 'How much the ControlNet\'s residuals count (0: both conditionings unchanged).' }),
    start_percent: float({ default: 0, min: 0, max: 1, step: 0.001, description: 'Active from this fraction of the schedule (0 = the first step).' }),
    end_percent: float({ default: 1, min: 0, max: 1, step: 0.001, description: 'To this fraction (1 = the last step).' }),
    vae: optional(socket('VAE', { description: 'Unused by SD 1.x and SDXL ControlNets (ComfyUI uses it for ControlNets that read latents); accepted so ComfyUI workflows load.' })),
  },
  outputs: { positive: socket('CONDITIONING'), negative: socket('CONDITIONING') },
  run(input) {
    if (input.strength === 0) return { positive: input.positive, negative: input.negative };
    checkHintImage(input.image, input.control_net);
    const [positive, negative] = applyControlNet([input.positive, input.negative], {
      controlNet: input.control_net, image: input.image, strength: input.strength, startPercent: input.start_percent, endPercent: input.end_percent,
    });
    return { positive, negative };
  },
});
