import { defineNode, float, socket } from '../schema.ts';

const f = Math.fround;

/** ComfyUI's ConditioningAverage: to * strength + from * (1 - strength), from cut or zero-padded to to's tokens. */
export default defineNode({
  type: 'ConditioningAverage',
  version: 1,
  category: 'conditioning',
  description: "Blends each entry of conditioning_to with conditioning_from's first entry: to * conditioning_to_strength + from * (1 - strength).",
  inputs: {
    conditioning_to: socket('CONDITIONING'),
    conditioning_from: socket('CONDITIONING'),
    conditioning_to_strength: float({ default: 1, min: 0, max: 1, step: 0.01, description: 'Weight of conditioning_to (1: only it, 0: only conditioning_from).' }),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  run(input, ctx) {
    const from = input.conditioning_from[0];
    if (!from) throw new Error(`conditioning_from is empty; connect a CLIPTextEncode.`);
    if (input.conditioning_from.length > 1) ctx.log.warn(`conditioning_from has ${input.conditioning_from.length} entries; only the first is used (as in ComfyUI).`);
    // torch.mul(t1, s) + torch.mul(t0, 1 - s): each scalar rounded to float32 first.
    const strength = f(input.conditioning_to_strength);
    const rest = f(1 - input.conditioning_to_strength);
    return {
      CONDITIONING: input.conditioning_to.map((entry) => {
        if (entry.shape[2] !== from.shape[2]) {
          throw new Error(`the conditionings are ${entry.shape[2]} and ${from.shape[2]} wide; encode both with the same CLIP.`);
        }
        const embeddings = new Float32Array(entry.embeddings.length);
        const kept = Math.min(from.embeddings.length, embeddings.length); // from[:, :tokens], zeros beyond its end
        for (let k = 0; k < embeddings.length; k++) {
          const other = k < kept ? from.embeddings[k] : 0;
          embeddings[k] = f(entry.embeddings[k] * strength) + f(other * rest);
        }
        // SDXL's pooled output is blended the same way (or taken from conditioning_from when `to` has none).
        const pooled = entry.pooled && from.pooled
          ? entry.pooled.map((v, k) => f(v * strength) + f(from.pooled![k] * rest))
          : (from.pooled ?? entry.pooled);
        return { ...entry, embeddings, ...(pooled ? { pooled } : {}) };
      }),
    };
  },
});
