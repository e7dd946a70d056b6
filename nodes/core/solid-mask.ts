import { requireFloatBudget } from '../image/budget.ts';
import { defineNode, float, int, socket } from '../schema.ts';

/** ComfyUI's SolidMask: [1, height, width] filled with value. */
export default defineNode({
  type: 'SolidMask',
  version: 1,
  category: 'mask',
  description: 'A mask of one value.',
  inputs: {
    value: float({ default: 1, min: 0, max: 1, step: 0.01 }),
    width: int({ default: 512, min: 1, max: 16384, step: 1 }),
    height: int({ default: 512, min: 1, max: 16384, step: 1 }),
  },
  outputs: { MASK: socket('MASK') },
  run(input, ctx) {
    requireFloatBudget(input.width * input.height, `a ${input.width}x${input.height} mask`, 'lower width and height', ctx.services);
    return { MASK: { data: new Float32Array(input.width * input.height).fill(input.value), shape: [1, input.height, input.width] as const } };
  },
});
