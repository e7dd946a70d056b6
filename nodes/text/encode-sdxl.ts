/**
 * SDXL's text conditioning, as ComfyUI's SDXLClipModel and diffusers' StableDiffusionXLPipeline build it:
 * each prompt goes through both text encoders (CLIP-L with `text_l`, OpenCLIP bigG with `text_g`, each
 * with its own tokenizer, weights and chunks as encode-prompt.ts does for SD 1.x); the penultimate hidden
 * states of both, without the final layer norm, are concatenated per token ([1, 77 * chunks, 768 + 1280]
 * for SDXL); the pooled, projected output of the second encoder on the first chunk is the pooled output.
 * When the two prompts give different numbers of chunks, the shorter is padded with empty-prompt chunks
 * (ComfyUI's CLIPTextEncodeSDXL).
 *
 * @example
 *   const { embeddings, tokens, pooled } = await encodeSdxlPrompt(clip, 'a cat', 'a cat');
 */
import { encodeTextPooled, type ModelHandle } from '../../native/index.ts';
import type { ClipValue } from '../socket-values.ts';
import type { CLIPTokenizer } from './clip-tokenizer.ts';
import { encodeWeightedPrompt, tokenizeWeightedPrompt, type WeightedPrompt } from './encode-prompt.ts';

export interface SdxlPromptEncoding {
  /** [1, tokens, hidden_l + hidden_g], token-major. */
  embeddings: Float32Array;
  tokens: number;
  dim: number;
  /** [projection_dim]: the second encoder's pooled, projected output. */
  pooled: Float32Array;
}

/** Pads the shorter prompt with chunks of the empty prompt (bos, eos, padding; weight 1) to the same count. */
function padChunks(prompt: WeightedPrompt, count: number): WeightedPrompt {
  const chunks = [...prompt.chunks];
  while (chunks.length < count) chunks.push({ ids: [...prompt.emptyIds], weights: prompt.emptyIds.map(() => 1) });
  return { ...prompt, chunks };
}

async function encodeOne(model: ModelHandle, encoder: 0 | 1, prompt: WeightedPrompt, signal?: AbortSignal) {
  let pooled: Float32Array | undefined;
  const hidden = await encodeWeightedPrompt(prompt, async (ids) => {
    signal?.throwIfAborted();
    const out = await encodeTextPooled(model, encoder, Int32Array.from(ids), { clipSkip: 2, finalLayerNorm: false });
    pooled ??= out.pooled; // the first call is the first chunk
    return out.hidden;
  });
  return { hidden, pooled: pooled! };
}

/** Encodes `textL` with the first encoder and `textG` with the second (both the same prompt for CLIPTextEncode). */
export async function encodeSdxlPrompt(clip: ClipValue, textL: string, textG: string, signal?: AbortSignal): Promise<SdxlPromptEncoding> {
  const { model } = clip;
  const config2 = model.info.clip2;
  if (!config2 || !clip.tokenizer2) throw new Error('this CLIP has one text encoder (SD 1.x); SDXL prompts need an SDXL checkpoint');
  const tokenizer2: CLIPTokenizer = clip.tokenizer2;
  let l = tokenizeWeightedPrompt(clip.tokenizer, textL);
  let g = tokenizeWeightedPrompt(tokenizer2, textG);
  const count = Math.max(l.chunks.length, g.chunks.length);
  l = padChunks(l, count);
  g = padChunks(g, count);
  const a = await encodeOne(model, 0, l, signal);
  const b = await encodeOne(model, 1, g, signal);
  const dl = model.info.clip.hidden_size, dg = config2.hidden_size, dim = dl + dg;
  const tokens = Math.min(a.hidden.length / dl, b.hidden.length / dg);
  const embeddings = new Float32Array(tokens * dim);
  for (let t = 0; t < tokens; t++) {
    embeddings.set(a.hidden.subarray(t * dl, (t + 1) * dl), t * dim);
    embeddings.set(b.hidden.subarray(t * dg, (t + 1) * dg), t * dim + dl);
  }
  return { embeddings, tokens, dim, pooled: b.pooled };
}
