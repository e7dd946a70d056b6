import { defineNode, socket } from '../schema.ts';

/** ComfyUI's ConditioningConcat: conditioning_from's first entry appended to every entry's tokens. */
export default defineNode({
  type: 'ConditioningConcat',
  version: 1,
  category: 'conditioning',
  description: "Appends the tokens of conditioning_from (its first entry) to each entry of conditioning_to, so one cross-attention sees both prompts.",
  inputs: {
    conditioning_to: socket('CONDITIONING'),
    conditioning_from: socket('CONDITIONING'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input, ctx) {
    const from = input.conditioning_from[0];
    if (!from) throw new Error(`conditioning_from is empty; connect a CLIPTextEncode.`);
    if (input.conditioning_from.length > 1) ctx.log.warn(`conditioning_from has ${input.conditioning_from.length} entries; only the first is used (as in ComfyUI).`);
    return {
      CONDITIONING: input.conditioning_to.map((entry) => {
        if (entry.shape[2] !== from.shape[2]) {
          throw new Error(`the conditionings are ${entry.shape[2]} and ${from.shape[2]} wide; encode both with the same CLIP.`);
        }
        const embeddings = new Float32Array(entry.embeddings.length + from.embeddings.length);
        embeddings.set(entry.embeddings);
        embeddings.set(from.embeddings, entry.embeddings.length);
        return { ...entry, embeddings, shape: [1, entry.shape[1] + from.shape[1], entry.shape[2]] as const };
      }),
    };
  },
});
