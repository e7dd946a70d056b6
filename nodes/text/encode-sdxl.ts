/**
 * SDXL's text conditioning, as ComfyUI's SDXLClipModel and diffusers' StableDiffusionXLPipeline build it:
 * each prompt goes through both text encoders (CLIP-L with `text_l`, OpenCLIP bigG with `text_g`, each
 * with its own tokenizer, weights and chunks as encode-prompt.ts does for SD 1.x); the penultimate hidden
 * states of both, without the final layer norm, are concatenated per token ([1, 77 * chunks, 768 + 1280]
 * for SDXL); the pooled, projected output of the second encoder on the first chunk is the pooled output.
 * When the two prompts give different numbers of chunks, the shorter is padded with empty-prompt chunks
 * (ComfyUI's CLIPTextEncodeSDXL).
 *
 * Textual-inversion embeddings (`embedding:name`, with `modelsDir`): each encoder takes its own tensor of
 * the file, as ComfyUI's SDXL tokenizers do (CLIP-L the `clip_l` tensor, bigG the `clip_g` one; a file
 * without that key gives its other tensor). A tensor whose width is not that encoder's but the other
 * encoder's (an SD 1.x embedding, 768 wide, seen by bigG) is skipped for that encoder with a warning, as
 * ComfyUI does: its tokens are taken out of that encoder's chunk, which is padded at the end, the token
 * weights staying at their positions (ComfyUI's set_up_textual_embeddings). A width that fits neither
 * encoder (SD 2.x) is refused.
 *
 * @example
 *   const { embeddings, tokens, pooled } = await encodeSdxlPrompt(clip, 'a cat', 'a cat', { modelsDir, warn: ctx.log.warn });
 */
import { encodeTextPooled, type ModelHandle } from '../../native/index.ts';
import type { ClipValue } from '../socket-values.ts';
import type { CLIPTokenizer } from './clip-tokenizer.ts';
import { readEmbeddingTensor } from './embeddings.ts';
import { embeddingNamesIn, encodeWeightedPrompt, tokenizeWeightedPrompt, type WeightedPrompt } from './encode-prompt.ts';

export interface SdxlPromptOptions {
  signal?: AbortSignal;
  /** The models folder: `embedding:name` reads <modelsDir>/embeddings/name.safetensors (without: the words stay text). */
  modelsDir?: string;
  /** Receives the warnings (a missing embedding, one skipped by an encoder of another width). */
  warn?: (message: string) => void;
}

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
    const out = await encodeTextPooled(model, encoder, Int32Array.from(ids), { clipSkip: 2, finalLayerNorm: false, vectors: prompt.vectors });
    pooled ??= out.pooled; // the first call is the first chunk
    return out.hidden;
  });
  return { hidden, pooled: pooled! };
}

/**
 * Tokenizes `text` for SDXL encoder `encoder` (0: CLIP-L, key clip_l; 1: bigG, key clip_g) with its
 * embeddings; `otherWidth` is the other encoder's width (an embedding of that width is skipped here).
 */
async function tokenizeFor(clip: ClipValue, encoder: 0 | 1, text: string, options: SdxlPromptOptions): Promise<WeightedPrompt> {
  const config = encoder === 0 ? clip.model.info.clip! : clip.model.info.clip2!;
  // The other encoder's width (none in an SDXL refiner: bigG alone).
  const other = encoder === 0 ? clip.model.info.clip2!.hidden_size : clip.model.info.clip?.hidden_size ?? -1;
  const tokenizer = (encoder === 0 ? clip.tokenizer : clip.tokenizer2)!;
  const encoderKey = encoder === 0 ? 'clip_l' : 'clip_g';
  const width = config.hidden_size, idBase = config.vocab_size;
  const { modelsDir, warn = () => {} } = options;
  if (!modelsDir) return tokenizeWeightedPrompt(tokenizer, text);
  const found = new Map<string, Float32Array>();
  /** Embeddings this encoder skips (the other encoder's width): their row counts. */
  const skipped = new Map<string, number>();
  for (const name of embeddingNamesIn(text)) {
    const tensor = await readEmbeddingTensor(modelsDir, name, encoderKey);
    if (!tensor) continue;
    const w = tensor.shape.at(-1)!;
    if (w === width) found.set(name, tensor.vectors);
    else if (w === other) {
      skipped.set(name, tensor.vectors.length / w);
      warn(`embedding:${name} has no ${encoderKey} tensor of width ${width} (tensor "${tensor.key}" is ${w} wide, for the other text encoder); ` +
        `SDXL's ${encoder === 0 ? 'CLIP-L' : 'OpenCLIP bigG'} encoder ignores it, as ComfyUI does. Use an SDXL embedding (clip_l and clip_g tensors) to condition both.`);
    } else {
      throw new Error(`embedding:${name} has vectors of width ${w} (tensor "${tensor.key}", shape [${tensor.shape.join(', ')}]); ` +
        (clip.model.info.clip
          ? `this SDXL checkpoint's text encoders are ${clip.model.info.clip.hidden_size} (clip_l) and ${clip.model.info.clip2!.hidden_size} (clip_g) wide: `
          : `this SDXL refiner's text encoder is ${clip.model.info.clip2!.hidden_size} (clip_g) wide: `) +
        'the embedding is for another model (SD 2.x?); use one made for SDXL');
    }
  }
  // Skipped embeddings get placeholder rows (their ids are taken out below); ids follow the order of first lookups.
  const dropped = new Set<number>();
  let rows = 0;
  const lookup = (name: string): Float32Array | null => {
    const vectors = found.get(name);
    if (vectors) {
      rows += vectors.length / width;
      return vectors;
    }
    const count = skipped.get(name);
    if (count === undefined) return null;
    for (let r = 0; r < count; r++) dropped.add(idBase + rows + r);
    rows += count;
    return new Float32Array(count * width);
  };
  const prompt = tokenizeWeightedPrompt(tokenizer, text, { embeddings: { lookup, width, idBase } });
  if (dropped.size === 0) return prompt;
  const chunks = prompt.chunks.map((chunk) => {
    const ids = chunk.ids.filter((id) => !dropped.has(id));
    while (ids.length < chunk.ids.length) ids.push(tokenizer.padId);
    return { ids, weights: chunk.weights };
  });
  return { ...prompt, chunks };
}

/** Encodes `textL` with the first encoder and `textG` with the second (both the same prompt for CLIPTextEncode). */
export async function encodeSdxlPrompt(clip: ClipValue, textL: string, textG: string, options: SdxlPromptOptions = {}): Promise<SdxlPromptEncoding> {
  const { model } = clip;
  const { signal } = options;
  const config2 = model.info.clip2;
  if (!config2 || !clip.tokenizer2) throw new Error('this CLIP has one text encoder (SD 1.x); SDXL prompts need an SDXL checkpoint');
  if (!model.info.clip) throw new Error("this CLIP is an SDXL refiner's (OpenCLIP bigG alone); encode its prompts with encodeRefinerPrompt");
  let l = await tokenizeFor(clip, 0, textL, options);
  let g = await tokenizeFor(clip, 1, textG, options);
  for (const name of new Set([...l.missingEmbeddings, ...g.missingEmbeddings])) options.warn?.(`embedding:${name} is not in <models>/embeddings; the word is ignored, as ComfyUI does`);
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

/**
 * An SDXL refiner's text conditioning, as ComfyUI's SDXLRefinerClipModel: the prompt through its one encoder,
 * OpenCLIP bigG (the `text_g` tokenization, padding with "!"), the penultimate hidden states without the final
 * layer norm as the context ([1, 77 * chunks, 1280] for the refiner) and the pooled, projected output of the
 * first chunk. `embedding:name` takes a file's clip_g tensor.
 */
export async function encodeRefinerPrompt(clip: ClipValue, text: string, options: SdxlPromptOptions = {}): Promise<SdxlPromptEncoding> {
  const { model } = clip;
  const config = model.info.clip2;
  if (!config || model.info.clip || !clip.tokenizer2) throw new Error("this CLIP is not an SDXL refiner's (OpenCLIP bigG alone)");
  const g = await tokenizeFor(clip, 1, text, options);
  for (const name of g.missingEmbeddings) options.warn?.(`embedding:${name} is not in <models>/embeddings; the word is ignored, as ComfyUI does`);
  const { hidden, pooled } = await encodeOne(model, 1, g, options.signal);
  return { embeddings: hidden, tokens: hidden.length / config.hidden_size, dim: config.hidden_size, pooled };
}
