import { withValues } from '../sampling/comfy/conditioning.ts';
import { defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ConditioningSetAreaStrength: the weight of the conditioning where it applies. */
export default defineNode({
  type: 'ConditioningSetAreaStrength',
  version: 1,
  category: 'conditioning',
  description: 'Sets the weight of the conditioning in the blend with the others (its area, or the whole image).',
  inputs: {
    conditioning: socket('CONDITIONING'),
    strength: float({ default: 1, min: 0, max: 10, step: 0.01, description: 'Weight.' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    return { CONDITIONING: withValues(input.conditioning, { strength: input.strength }) };
  },
});
