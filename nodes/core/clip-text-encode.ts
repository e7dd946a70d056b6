import fs from 'node:fs';
import path from 'node:path';

import { encodeText } from '../../native/index.ts';
import { loadEmbedding } from '../text/embeddings.ts';
import { embeddingNamesIn, encodeWeightedPrompt, tokenizeWeightedPrompt } from '../text/encode-prompt.ts';
import { encodeRefinerPrompt, encodeSdxlPrompt } from '../text/encode-sdxl.ts';
import { defineNode, socket, text, type HostServices } from '../schema.ts';

/** Longest prompt accepted, in characters (about 100 chunks of 77 tokens); longer is refused, not truncated silently. */
export const MAX_PROMPT_CHARACTERS = 20_000;

export default defineNode({
  type: 'CLIPTextEncode',
  version: 1,
  category: 'conditioning',
  displayName: 'CLIP Text Encode (Prompt)',
  description:
    'Encodes a prompt with the text encoder (SDXL: both, with its pooled output; an SDXL refiner: its OpenCLIP bigG, aesthetic score 6 positive / 2.5 negative). (word:1.3), (word) and [word] change emphasis; embedding:name inserts a textual-inversion embedding from <models>/embeddings (SDXL: its clip_l and clip_g vectors); prompts longer than 75 tokens are encoded in chunks of 77 and joined.',
  inputs: {
    text: text({ multiline: true, default: '', description: 'The prompt. See docs/PROMPTS.md for the emphasis syntax.' }),
    clip: socket('CLIP'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  // A changed embedding file reruns the prompts that use it.
  cache: { fingerprint: (widgets, services) => embeddingStamps(widgets.text, services) },
  async run(input, ctx) {
    if (input.text.length > MAX_PROMPT_CHARACTERS) {
      throw new Error(
        `the prompt is ${input.text.length} characters long; the limit is ${MAX_PROMPT_CHARACTERS}. Shorten it.`,
      );
    }
    const { model, tokenizer } = input.clip;
    const options = { signal: ctx.signal, modelsDir: ctx.services.paths?.models, warn: (m: string) => ctx.log.warn(m) };
    if (model.info.clip2 && !model.info.clip) {
      // An SDXL refiner: bigG alone; the sampler adds the latent's size and ComfyUI's default aesthetic scores.
      const e = await encodeRefinerPrompt(input.clip, input.text, options);
      return { CONDITIONING: [{ embeddings: e.embeddings, shape: [1, e.tokens, e.dim] as const, pooled: e.pooled, refiner: {} }] };
    }
    if (model.info.clip2) {
      // SDXL: both encoders on the same prompt; the sampler conditions on the latent's size (ComfyUI's defaults).
      const e = await encodeSdxlPrompt(input.clip, input.text, input.text, options);
      return { CONDITIONING: [{ embeddings: e.embeddings, shape: [1, e.tokens, e.dim] as const, pooled: e.pooled }] };
    }
    const config = model.info.clip!; // SD 1.x
    const hidden = config.hidden_size;
    const found = new Map<string, Float32Array>();
    const modelsDir = ctx.services.paths?.models;
    for (const name of modelsDir ? embeddingNamesIn(input.text) : []) {
      const embedding = await loadEmbedding(modelsDir!, name, hidden);
      if (embedding) found.set(name, embedding.vectors);
    }
    const weighted = tokenizeWeightedPrompt(tokenizer, input.text, {
      ...(modelsDir ? { embeddings: { lookup: (name: string) => found.get(name) ?? null, width: hidden, idBase: config.vocab_size } } : {}),
    });
    for (const name of weighted.missingEmbeddings) ctx.log.warn(`embedding:${name} is not in <models>/embeddings; the word is ignored, as ComfyUI does`);
    const embeddings = await encodeWeightedPrompt(weighted, (ids) => {
      ctx.signal.throwIfAborted();
      return encodeText(model, Int32Array.from(ids), { clipSkip: input.clip.clipSkip ?? 1, vectors: weighted.vectors });
    });
    return { CONDITIONING: [{ embeddings, shape: [1, embeddings.length / hidden, hidden] as const }] };
  },
});

/** Size and mtime of every embedding file the prompt names (none: ""). */
export function embeddingStamps(prompt: string, services: HostServices): string {
  const models = services.paths?.models;
  if (!models) return '';
  return embeddingNamesIn(prompt)
    .map((name) => {
      const base = path.join(models, 'embeddings', name);
      const stat = fs.statSync(`${base}.safetensors`, { throwIfNoEntry: false }) ?? fs.statSync(base, { throwIfNoEntry: false });
      return stat ? `${name}:${stat.size}:${stat.mtimeMs}` : `${name}:-`;
    })
    .join('|');
}
