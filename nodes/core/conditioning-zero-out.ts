import { defineNode, socket } from '../schema.ts';

/** ComfyUI's ConditioningZeroOut: the same entries with all-zero embeddings. */
export default defineNode({
  type: 'ConditioningZeroOut',
  version: 1,
  category: 'advanced/conditioning',
  description: 'Replaces the embeddings with zeros (same shape and options), e.g. for a neutral negative.',
  inputs: {
    conditioning: socket('CONDITIONING'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    return { CONDITIONING: input.conditioning.map((entry) => ({ ...entry, embeddings: new Float32Array(entry.embeddings.length) })) };
  },
});
