import { defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ThresholdMask: 1 where mask > value, else 0. */
export default defineNode({
  type: 'ThresholdMask',
  version: 1,
  category: 'mask',
  description: 'Makes the mask hard: 1 above value, 0 at or below.',
  inputs: { mask: socket('MASK'), value: float({ default: 0.5, min: 0, max: 1, step: 0.01 }) },
  outputs: { MASK: socket('MASK') },
  run(input) {
    return { MASK: { data: input.mask.data.map((v) => (v > input.value ? 1 : 0)), shape: input.mask.shape } };
  },
});
