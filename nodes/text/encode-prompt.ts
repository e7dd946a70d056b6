/**
 * Weighted, chunked prompt tokenization and the maths that applies the weights to the text encoder's
 * output, as ComfyUI's CLIPTextEncode does (comfy/sd1_clip.py: SDTokenizer.tokenize_with_weights and
 * ClipTokenWeightEncoder.encode_token_weights). User documentation: docs/PROMPTS.md.
 *
 * A prompt becomes one or more chunks of 77 token ids (bos, up to 75 content tokens, eos, padding) with a
 * weight per token. Each chunk is encoded by CLIP on its own; tokens whose weight is not 1 are moved
 * along the line from the empty prompt's encoding: z = (z - z_empty) * w + z_empty (per position); the
 * chunk encodings are concatenated along the token axis, [1, 77 * chunks, D], which the UNet's
 * cross-attention takes as a longer context.
 *
 * @example
 *   const tokenizer = defaultClipTokenizer();
 *   const prompt = tokenizeWeightedPrompt(tokenizer, 'a (red:1.3) car');
 *   const context = await encodeWeightedPrompt(prompt, (ids) => clip.encode(ids)); // Float32Array [77 * chunks * D]
 */
import type { CLIPTokenizer } from './clip-tokenizer.ts';
import { escapeBrackets, parsePromptWeights, unescapeBrackets, type WeightedSpan } from './prompt-weights.ts';

/** 77 ids and their weights: bos, content, eos, padding. bos/eos/padding always weigh 1. */
export interface PromptChunk {
  ids: number[];
  weights: number[];
}

export interface WeightedPrompt {
  /** At least one chunk; a prompt without brackets of up to 75 tokens is one chunk equal to the plain tokenizer's inputIds. */
  chunks: PromptChunk[];
  /** Whether any token weighs other than 1 (then the empty prompt is encoded too, as ComfyUI does). */
  hasWeights: boolean;
  /** The 77 ids whose encoding is z_empty: bos, eos, padding (the empty prompt "" for SD 1.x). */
  emptyIds: number[];
  /** Textual-inversion vectors the chunks use, rows of the text encoder's width: id `idBase + i` is row i (see WeightedPromptOptions.embeddings). */
  vectors: Float32Array;
  /** `embedding:` names no file was found for (ignored with a warning, as ComfyUI does). */
  missingEmbeddings: string[];
}

/** Textual-inversion embeddings for a prompt: `lookup` answers a name's vectors (rows of `width`), or null. */
export interface PromptEmbeddings {
  lookup(name: string): Float32Array | null;
  width: number;
  /** The id of the first injected vector (the vocabulary's size: the text encoder reads ids from there on as injected vectors). */
  idBase: number;
}

export interface WeightedPromptOptions {
  /** Parse emphasis syntax (default true). Off: the whole text at weight 1; `\(` `\)` still unescape (ComfyUI's disable_weights). */
  weighting?: boolean;
  /** Parse `[word]` as weight / 1.1 (default true; false = exactly ComfyUI, which keeps `[` `]` as text). */
  squareBrackets?: boolean;
  /** Reads `embedding:name` words as those vectors (without: as text, as ComfyUI without an embeddings folder). */
  embeddings?: PromptEmbeddings;
}

/** A group of at least this many tokens may be split across chunks; shorter groups move whole to the next chunk. */
export const MAX_WORD_LENGTH = 8;

// ComfyUI splits segments before " embedding:NAME" / "\nembedding:NAME" (textual-inversion embeddings):
// NAME is the first word after it, the rest of the piece is text; the vectors form one group of tokens.
const EMBEDDING_IDENTIFIER = 'embedding:';
const EMBEDDING_SPLIT = / embedding:|\nembedding:/;

/**
 * Tokenizes a prompt with emphasis weights into 77-token chunks, exactly as ComfyUI's
 * SDTokenizer.tokenize_with_weights for SD 1.x (pad = eos, max_length 77, max_word_length 8):
 * each weighted span (split before "embedding:") is tokenized on its own into a group; groups fill a
 * chunk in order; a group that does not fit the 75 content slots left in the chunk either moves whole to
 * a new chunk (fewer than 8 tokens: the chunk is closed with eos and padded) or, if it has 8 tokens or
 * more, fills the chunk and continues in the next.
 */
export function tokenizeWeightedPrompt(tokenizer: CLIPTokenizer, text: string, options: WeightedPromptOptions = {}): WeightedPrompt {
  const { weighting = true, squareBrackets = true, embeddings } = options;
  const vectorRows: Float32Array[] = [];
  const vectorIds = new Map<string, number[]>();
  const missingEmbeddings: string[] = [];
  /** An embedding's ids (its vectors appended once), or null when there is no such embedding. */
  const embeddingIds = (name: string): number[] | null => {
    if (!embeddings) return null;
    const known = vectorIds.get(name);
    if (known) return known;
    const vectors = embeddings.lookup(name);
    if (!vectors) return null;
    const ids: number[] = [];
    for (let r = 0; r < vectors.length / embeddings.width; r++) {
      ids.push(embeddings.idBase + vectorRows.length);
      vectorRows.push(vectors.subarray(r * embeddings.width, (r + 1) * embeddings.width));
    }
    vectorIds.set(name, ids);
    return ids;
  };
  const spans: WeightedSpan[] = weighting
    ? parsePromptWeights(text, { squareBrackets })
    : [{ text: unescapeBrackets(escapeBrackets(text, squareBrackets)), weight: 1.0 }];

  const groups: Array<{ ids: number[]; weight: number }> = [];
  for (const span of spans) {
    for (let word of splitBeforeEmbeddings(span.text)) {
      if (embeddings && word.startsWith(EMBEDDING_IDENTIFIER)) {
        // ComfyUI's _try_get_embedding: the first word is the name (retried without commas around it), the rest is text.
        const [name = '', ...rest] = word.slice(EMBEDDING_IDENTIFIER.length).split(/\s+/).filter((w) => w !== '');
        let leftover = rest.join(' ');
        let ids = embeddingIds(name);
        const stripped = name.replace(/^,+|,+$/g, '');
        if (!ids && stripped.length < name.length) {
          ids = embeddingIds(stripped);
          leftover = `${name.slice(stripped.length)} ${leftover}`;
        }
        if (ids) groups.push({ ids, weight: span.weight });
        else missingEmbeddings.push(name);
        if (leftover.trim() === '') continue;
        word = leftover;
      }
      groups.push({ ids: tokenizer.encodeContent(word), weight: span.weight });
    }
  }

  const maxLength = tokenizer.maxLength;
  const newChunk = (): PromptChunk => ({ ids: [tokenizer.bosId], weights: [1.0] });
  const closeChunk = (chunk: PromptChunk) => {
    chunk.ids.push(tokenizer.eosId);
    chunk.weights.push(1.0);
    while (chunk.ids.length < maxLength) {
      chunk.ids.push(tokenizer.padId);
      chunk.weights.push(1.0);
    }
  };

  const chunks: PromptChunk[] = [newChunk()];
  let chunk = chunks[0];
  for (const group of groups) {
    const splittable = group.ids.length >= MAX_WORD_LENGTH;
    let rest = group.ids;
    while (rest.length > 0) {
      const room = maxLength - 1 - chunk.ids.length; // content slots left before the eos
      if (rest.length > room) {
        if (splittable) {
          chunk.ids.push(...rest.slice(0, room));
          chunk.weights.push(...rest.slice(0, room).map(() => group.weight));
          rest = rest.slice(room);
        }
        closeChunk(chunk);
        chunk = newChunk();
        chunks.push(chunk);
      } else {
        chunk.ids.push(...rest);
        chunk.weights.push(...rest.map(() => group.weight));
        rest = [];
      }
    }
  }
  closeChunk(chunk);

  const emptyIds = [tokenizer.bosId, tokenizer.eosId];
  while (emptyIds.length < maxLength) emptyIds.push(tokenizer.padId);
  const hasWeights = chunks.some((c) => c.weights.some((weight) => weight !== 1.0));
  const width = embeddings?.width ?? 0;
  const vectors = new Float32Array(vectorRows.length * width);
  vectorRows.forEach((row, i) => vectors.set(row, i * width));
  return { chunks, hasWeights, emptyIds, vectors, missingEmbeddings };
}

/**
 * The embedding names a prompt refers to (to load before tokenizing it): the first word after each
 * `embedding:` of each weighted span, as tokenizeWeightedPrompt reads it, and that word without commas around it.
 */
export function embeddingNamesIn(text: string, options: Pick<WeightedPromptOptions, 'weighting' | 'squareBrackets'> = {}): string[] {
  const { weighting = true, squareBrackets = true } = options;
  const spans = weighting ? parsePromptWeights(text, { squareBrackets }) : [{ text: unescapeBrackets(escapeBrackets(text, squareBrackets)), weight: 1.0 }];
  const names = new Set<string>();
  for (const span of spans) {
    for (const word of splitBeforeEmbeddings(span.text)) {
      if (!word.startsWith(EMBEDDING_IDENTIFIER)) continue;
      const name = embeddingWord(word);
      if (name) names.add(name);
      const stripped = name.replace(/^,+|,+$/g, '');
      if (stripped) names.add(stripped);
    }
  }
  return [...names];
}

/** The name an `embedding:` piece starts with (its first word). */
function embeddingWord(piece: string): string {
  return piece.slice(EMBEDDING_IDENTIFIER.length).split(/\s+/).find((w) => w !== '') ?? '';
}

/** ComfyUI's `re.split(' embedding:|\nembedding:')`, each later piece given back its "embedding:", empties dropped. */
function splitBeforeEmbeddings(text: string): string[] {
  const pieces = text.split(EMBEDDING_SPLIT);
  return pieces.map((piece, i) => (i === 0 ? piece : EMBEDDING_IDENTIFIER + piece)).filter((piece) => piece !== '');
}

/**
 * ComfyUI's default token weighting of one chunk's encoding, per token position j:
 *   z[j] = (z[j] - z_empty[j]) * w[j] + z_empty[j]   where w[j] != 1; other rows are copied unchanged.
 * `hidden` and `emptyHidden` are [T, D] row-major (T = weights.length, 77 for CLIP); `emptyHidden` is the
 * encoding of `WeightedPrompt.emptyIds`. Computed in float32 like PyTorch (the weight rounded to float32,
 * each operation rounded), so the result is bit-identical to ComfyUI's on the same encodings.
 * Returns a new array; the inputs are not modified.
 */
export function applyTokenWeights(hidden: Float32Array, emptyHidden: Float32Array, weights: ArrayLike<number>): Float32Array {
  const tokens = weights.length;
  if (tokens === 0 || hidden.length % tokens !== 0 || emptyHidden.length !== hidden.length) {
    throw new Error(
      `applyTokenWeights: hidden (${hidden.length} values) and emptyHidden (${emptyHidden.length}) must both be [${tokens}, D] for ${tokens} weights.`,
    );
  }
  const dim = hidden.length / tokens;
  const out = new Float32Array(hidden);
  for (let j = 0; j < tokens; j++) {
    const weight = weights[j];
    if (weight === 1.0) continue;
    const w = Math.fround(weight);
    for (let d = j * dim; d < (j + 1) * dim; d++) {
      const empty = emptyHidden[d];
      out[d] = Math.fround(Math.fround(hidden[d] - empty) * w) + empty; // the Float32Array store rounds the sum
    }
  }
  return out;
}

/** Chunk encodings [77, D] each -> one context [77 * chunks, D] (torch.cat along the token axis). */
export function concatChunkEncodings(encodings: Float32Array[]): Float32Array {
  const out = new Float32Array(encodings.reduce((total, encoding) => total + encoding.length, 0));
  let offset = 0;
  for (const encoding of encodings) {
    out.set(encoding, offset);
    offset += encoding.length;
  }
  return out;
}

/**
 * ComfyUI's encode_token_weights over any CLIP text encoder: encodes every chunk (and the empty prompt
 * when some weight is not 1), applies the weights, concatenates. `encodeIds` maps 77 ids to that chunk's
 * last hidden state [77, D] (after the final layer norm for SD 1.x). Returns [77 * chunks, D].
 */
export async function encodeWeightedPrompt(
  prompt: WeightedPrompt,
  encodeIds: (ids: number[]) => Float32Array | Promise<Float32Array>,
): Promise<Float32Array> {
  const encodings: Float32Array[] = [];
  for (const chunk of prompt.chunks) encodings.push(await encodeIds(chunk.ids));
  if (!prompt.hasWeights) return concatChunkEncodings(encodings);
  const empty = await encodeIds(prompt.emptyIds);
  return concatChunkEncodings(encodings.map((encoding, i) => applyTokenWeights(encoding, empty, prompt.chunks[i].weights)));
}
