import { defineNode, socket } from '../schema.ts';

/** ComfyUI's ConditioningZeroOut: the same entries with all-zero embeddings. */
export default defineNode({
  type: 'ConditioningZeroOut',
  version: 1,
  category: 'advanced/conditioning',
  description: "Replaces the embeddings (and SDXL's pooled output) with zeros (same shape and options), e.g. for a neutral negative.",
  inputs: {
    conditioning: socket('CONDITIONING'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input) {
    // SDXL: the pooled output too, as ComfyUI does.
    return {
      CONDITIONING: input.conditioning.map((entry) => ({
        ...entry,
        embeddings: new Float32Array(entry.embeddings.length),
        ...(entry.pooled ? { pooled: new Float32Array(entry.pooled.length) } : {}),
      })),
    };
  },
});
