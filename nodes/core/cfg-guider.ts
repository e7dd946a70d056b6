import { defineNode, float, socket } from '../schema.ts';

/** ComfyUI's CFGGuider: classifier-free guidance, uncond + (cond - uncond) * cfg. */
export default defineNode({
  type: 'CFGGuider',
  version: 1,
  category: 'sampling/custom_sampling/guiders',
  displayName: 'CFG Guider',
  description: 'Classifier-free guidance: the negative prediction plus cfg times (positive - negative); cfg 1 skips the negative pass.',
  inputs: {
    model: socket('MODEL'),
    positive: socket('CONDITIONING'),
    negative: socket('CONDITIONING'),
    cfg: float({ default: 8, min: 0, max: 100, step: 0.1, round: 0.01, description: 'Guidance scale.' }),
  },
  outputs: { GUIDER: socket('GUIDER') },
  run(input) {
    return { GUIDER: { model: input.model, positive: input.positive, negative: input.negative, cfg: input.cfg } };
  },
});
