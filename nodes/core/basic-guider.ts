import { defineNode, socket } from '../schema.ts';

/** ComfyUI's BasicGuider: the model's prediction for one conditioning, no negative pass (cfg 1). */
export default defineNode({
  type: 'BasicGuider',
  version: 1,
  category: 'sampling/custom_sampling/guiders',
  displayName: 'Basic Guider',
  description: 'Guides with one conditioning and no negative (for guidance-distilled models, or cfg 1).',
  inputs: {
    model: socket('MODEL'),
    conditioning: socket('CONDITIONING'),
  },
  outputs: { GUIDER: socket('GUIDER') },
  run(input) {
    return { GUIDER: { model: input.model, positive: input.conditioning, cfg: 1 } };
  },
});
