import { defineNode, socket } from '../schema.ts';

/** ComfyUI's InvertMask: 1 - mask. */
export default defineNode({
  type: 'InvertMask',
  version: 1,
  category: 'mask',
  description: 'Swaps masked and unmasked (1 - value).',
  inputs: { mask: socket('MASK') },
  outputs: { MASK: socket('MASK') },
  run(input) {
    return { MASK: { data: input.mask.data.map((v) => 1 - v), shape: input.mask.shape } };
  },
});
