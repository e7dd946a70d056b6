import { withValues } from '../sampling/comfy/conditioning.ts';
import { defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ConditioningSetAreaPercentage: the area as fractions of the latent, resolved when sampling. */
export default defineNode({
  type: 'ConditioningSetAreaPercentage',
  version: 1,
  category: 'conditioning',
  description: 'Limits the conditioning to a rectangle given as fractions of the image (resolved to latent cells when sampling).',
  inputs: {
    conditioning: socket('CONDITIONING'),
    width: float({ default: 1, min: 0, max: 1, step: 0.01, description: 'Width as a fraction of the image.' }),
    height: float({ default: 1, min: 0, max: 1, step: 0.01, description: 'Height as a fraction of the image.' }),
    x: float({ default: 0, min: 0, max: 1, step: 0.01, description: 'Left edge as a fraction.' }),
    y: float({ default: 0, min: 0, max: 1, step: 0.01, description: 'Top edge as a fraction.' }),
    strength: float({ default: 1, min: 0, max: 10, step: 0.01, description: 'Weight of this conditioning inside the area.' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    const area = { unit: 'percentage' as const, height: input.height, width: input.width, y: input.y, x: input.x };
    return { CONDITIONING: withValues(input.conditioning, { area, strength: input.strength }) };
  },
});
