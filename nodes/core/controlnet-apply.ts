import { applyControlNet, checkHintImage } from '../sampling/comfy/apply-controlnet.ts';
import { defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ControlNetApply ("Apply ControlNet (OLD)"): the positive side only, the whole schedule. */
export default defineNode({
  type: 'ControlNetApply',
  version: 1,
  category: 'conditioning/controlnet',
  displayName: 'Apply ControlNet (OLD)',
  description:
    'Steers the conditioning with a ControlNet and its hint picture (edges, pose, depth, ... at any size: resized to the latent x 8 ' +
    'with nearest-exact after a center crop). Applies to this conditioning only; ControlNetApplyAdvanced applies to both sides and a range. ' +
    'Applied again, ControlNets stack.',
  inputs: {
    conditioning: socket('CONDITIONING'),
    control_net: socket('CONTROL_NET'),
    image: socket('IMAGE'),
    strength: float({ default: 1, min: 0, max: 10, step: 0.01, description: 'How much the ControlNet\'s residuals count (0: the conditioning unchanged).' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    if (input.strength === 0) return { CONDITIONING: input.conditioning };
    checkHintImage(input.image, input.control_net);
    const [conditioning] = applyControlNet([input.conditioning], {
      controlNet: input.control_net, image: input.image, strength: input.strength, startPercent: 0, endPercent: 1,
    });
    return { CONDITIONING: conditioning };
  },
});
