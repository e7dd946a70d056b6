import { defineNode, socket } from '../schema.ts';

/** ComfyUI's ConditioningCombine: both lists as one; each entry predicts on its own and the predictions are blended. */
export default defineNode({
  type: 'ConditioningCombine',
  version: 1,
  category: 'conditioning',
  description: 'Joins two conditionings: each entry is predicted separately and the predictions averaged by their weights (areas, strengths).',
  inputs: {
    conditioning_1: socket('CONDITIONING'),
    conditioning_2: socket('CONDITIONING'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    return { CONDITIONING: [...input.conditioning_1, ...input.conditioning_2] };
  },
});
