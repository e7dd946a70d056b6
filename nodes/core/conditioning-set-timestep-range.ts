import { withValues } from '../sampling/comfy/conditioning.ts';
import { defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ConditioningSetTimestepRange: the conditioning applies from `start` to `end` of the schedule. */
export default defineNode({
  type: 'ConditioningSetTimestepRange',
  version: 1,
  category: 'advanced/conditioning',
  description: 'Applies the conditioning only between start and end, as fractions of the noise schedule (0 = pure noise, 1 = the end).',
  inputs: {
    conditioning: socket('CONDITIONING'),
    start: float({ default: 0, min: 0, max: 1, step: 0.001, description: 'From this fraction of the schedule.' }),
    end: float({ default: 1, min: 0, max: 1, step: 0.001, description: 'To this fraction.' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    return { CONDITIONING: withValues(input.conditioning, { startPercent: input.start, endPercent: input.end }) };
  },
});
