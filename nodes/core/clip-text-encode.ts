import { encodeText } from '../../native/index.ts';
import { encodeWeightedPrompt, tokenizeWeightedPrompt } from '../text/encode-prompt.ts';
import { encodeSdxlPrompt } from '../text/encode-sdxl.ts';
import { defineNode, socket, text } from '../schema.ts';

/** Longest prompt accepted, in characters (about 100 chunks of 77 tokens); longer is refused, not truncated silently. */
export const MAX_PROMPT_CHARACTERS = 20_000;

export default defineNode({
  type: 'CLIPTextEncode',
  version: 1,
  category: 'conditioning',
  displayName: 'CLIP Text Encode (Prompt)',
  description:
    'Encodes a prompt with the text encoder (SDXL: both, with its pooled output). (word:1.3), (word) and [word] change emphasis; prompts longer than 75 tokens are encoded in chunks of 77 and joined.',
  inputs: {
    text: text({ multiline: true, default: '', description: 'The prompt. See docs/PROMPTS.md for the emphasis syntax.' }),
    clip: socket('CLIP'),
  },
  outputs: { CONDITIONING: socket('CONDITIONING') },
  async run(input, ctx) {
    if (input.text.length > MAX_PROMPT_CHARACTERS) {
      throw new Error(
        `the prompt is ${input.text.length} characters long; the limit is ${MAX_PROMPT_CHARACTERS}. Shorten it.`,
      );
    }
    const { model, tokenizer } = input.clip;
    if (model.info.clip2) {
      // SDXL: both encoders on the same prompt; the sampler conditions on the latent's size (ComfyUI's defaults).
      const e = await encodeSdxlPrompt(input.clip, input.text, input.text, ctx.signal);
      return { CONDITIONING: [{ embeddings: e.embeddings, shape: [1, e.tokens, e.dim] as const, pooled: e.pooled }] };
    }
    const weighted = tokenizeWeightedPrompt(tokenizer, input.text);
    const hidden = model.info.clip.hidden_size;
    const embeddings = await encodeWeightedPrompt(weighted, (ids) => {
      ctx.signal.throwIfAborted();
      return encodeText(model, Int32Array.from(ids));
    });
    return { CONDITIONING: [{ embeddings, shape: [1, embeddings.length / hidden, hidden] as const }] };
  },
});
