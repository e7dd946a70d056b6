import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { CLIPTokenizer, defaultClipTokenizer } from '../../../nodes/text/clip-tokenizer.ts';
import {
  applyTokenWeights,
  concatChunkEncodings,
  encodeWeightedPrompt,
  tokenizeWeightedPrompt,
} from '../../../nodes/text/encode-prompt.ts';

const BOS = 49406;
const EOS = 49407; // also the padding id of SD 1.x

const tokenizer = defaultClipTokenizer();

/** Reads float32 / int64 tensors of a safetensors file (8-byte LE header length, JSON header, raw LE data). */
function readSafetensors(path: string): Map<string, { shape: number[]; data: Float32Array | BigInt64Array }> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const tensors = new Map<string, { shape: number[]; data: Float32Array | BigInt64Array }>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    const raw = bytes.subarray(8 + headerLength + begin, 8 + headerLength + end);
    const copy = new Uint8Array(raw).buffer; // aligned copy
    tensors.set(name, { shape: info.shape, data: info.dtype === 'F32' ? new Float32Array(copy) : new BigInt64Array(copy) });
  }
  return tensors;
}

describe('tokenizeWeightedPrompt: ComfyUI chunking of long prompts', () => {
  // 200 single-token words, no emphasis: one group of 200 tokens, which ComfyUI splits 75 / 75 / 50.
  const words = Array.from({ length: 200 }, (_, i) => ['cat', 'dog', 'tree', 'house'][i % 4]).join(' ');
  const contentIds = tokenizer.encodeContent(words);

  it('splits a 200-token prompt into 3 chunks of bos + 75 + eos, the last one padded', () => {
    expect(contentIds.length).toBe(200);
    const prompt = tokenizeWeightedPrompt(tokenizer, words);
    expect(prompt.chunks.length).toBe(3);
    expect(prompt.hasWeights).toBe(false);
    for (const chunk of prompt.chunks) {
      expect(chunk.ids.length).toBe(77);
      expect(chunk.weights).toEqual(new Array(77).fill(1));
      expect(chunk.ids[0]).toBe(BOS);
    }
    expect(prompt.chunks[0].ids).toEqual([BOS, ...contentIds.slice(0, 75), EOS]);
    expect(prompt.chunks[1].ids).toEqual([BOS, ...contentIds.slice(75, 150), EOS]);
    expect(prompt.chunks[2].ids).toEqual([BOS, ...contentIds.slice(150), EOS, ...new Array(25).fill(EOS)]);
    // The first chunk is exactly what the plain tokenizer keeps after truncation.
    expect(prompt.chunks[0].ids).toEqual(tokenizer.encode(words).inputIds);
  });

  it('moves a short weighted group whole to the next chunk when it does not fit', () => {
    // 74 tokens, then a 2-token group: 1 + 74 + 2 > 76, so chunk 1 ends (eos + 1 padding) and the group starts chunk 2.
    const prompt = tokenizeWeightedPrompt(tokenizer, 'cat '.repeat(74) + '(red balloon:1.2)');
    const [first, second] = prompt.chunks;
    expect(prompt.chunks.length).toBe(2);
    expect(first.ids).toEqual([BOS, ...new Array(74).fill(2368), EOS, EOS]);
    expect(first.weights).toEqual(new Array(77).fill(1));
    expect(second.ids).toEqual([BOS, 736, 13634, ...new Array(74).fill(EOS)]);
    expect(second.weights).toEqual([1, 1.2, 1.2, ...new Array(74).fill(1)]);
    expect(prompt.hasWeights).toBe(true);
  });

  it('splits a group of 8 or more tokens across the boundary, keeping its weight on both sides', () => {
    // 70 tokens, then 10 single-letter tokens at 0.5: 5 fill chunk 1 up to position 75, 5 open chunk 2.
    const prompt = tokenizeWeightedPrompt(tokenizer, 'cat '.repeat(70) + '(a b c d e f g h i j:0.5)');
    const letters = tokenizer.encodeContent('a b c d e f g h i j');
    const [first, second] = prompt.chunks;
    expect(first.ids).toEqual([BOS, ...new Array(70).fill(2368), ...letters.slice(0, 5), EOS]);
    expect(first.weights.slice(71, 76)).toEqual(new Array(5).fill(0.5));
    expect(first.weights[76]).toBe(1);
    expect(second.ids.slice(0, 7)).toEqual([BOS, ...letters.slice(5), EOS]);
    expect(second.weights.slice(0, 7)).toEqual([1, 0.5, 0.5, 0.5, 0.5, 0.5, 1]);
  });

  it('starts a new chunk for exactly 76 tokens and keeps exactly 75 in one', () => {
    expect(tokenizeWeightedPrompt(tokenizer, 'cat '.repeat(75)).chunks.length).toBe(1);
    const two = tokenizeWeightedPrompt(tokenizer, 'cat '.repeat(76));
    expect(two.chunks.length).toBe(2);
    expect(two.chunks[1].ids.slice(0, 3)).toEqual([BOS, 2368, EOS]);
  });

  it('starts a new group at " embedding:" (ComfyUI\'s textual-inversion split), which then moves whole', () => {
    // Groups: 70 x cat + red (71 tokens), then "embedding:foo bar" (5 tokens): 1 + 71 + 5 > 76.
    const tail = tokenizer.encodeContent('embedding:foo bar');
    expect(tail.length).toBe(5);
    const prompt = tokenizeWeightedPrompt(tokenizer, 'cat '.repeat(70) + 'red embedding:foo bar');
    expect(prompt.chunks.length).toBe(2);
    expect(prompt.chunks[0].ids).toEqual([BOS, ...new Array(70).fill(2368), 736, EOS, ...new Array(4).fill(EOS)]);
    expect(prompt.chunks[1].ids.slice(0, 7)).toEqual([BOS, ...tail, EOS]);
  });

  it('gives the empty prompt one chunk equal to the plain tokenizer, and emptyIds = bos, eos, padding', () => {
    const prompt = tokenizeWeightedPrompt(tokenizer, '');
    expect(prompt.chunks.length).toBe(1);
    expect(prompt.chunks[0].ids).toEqual(tokenizer.encode('').inputIds);
    expect(prompt.emptyIds).toEqual(tokenizer.encode('').inputIds);
  });
});

describe('tokenizeWeightedPrompt: all-1.0 prompts take the unweighted path', () => {
  const fixture = JSON.parse(readFileSync('test/fixtures/expected/tokenizer.json', 'utf8')) as {
    prompts: Array<{ name: string; text: string; input_ids: number[]; num_untruncated_ids: number }>;
  };
  const short = fixture.prompts.filter((prompt) => prompt.num_untruncated_ids <= 77);

  it.each(short.map((prompt) => [prompt.name, prompt] as const))('%s: same ids as the plain tokenizer', (_name, prompt) => {
    // With weighting off, every fixture prompt; with it on, every prompt without brackets.
    const unweighted = tokenizeWeightedPrompt(tokenizer, prompt.text, { weighting: false });
    expect(unweighted.chunks.map((chunk) => chunk.ids)).toEqual([prompt.input_ids]);
    expect(unweighted.hasWeights).toBe(false);
    if (!/[()[\]]/.test(prompt.text)) {
      const weighted = tokenizeWeightedPrompt(tokenizer, prompt.text);
      expect(weighted.chunks.map((chunk) => chunk.ids)).toEqual([prompt.input_ids]);
      expect(weighted.hasWeights).toBe(false);
    }
  });

  it('treats (word:1.0) as weight 1: no weights to apply', () => {
    const prompt = tokenizeWeightedPrompt(tokenizer, 'a (small:1.0) cat');
    expect(prompt.hasWeights).toBe(false);
    expect(prompt.chunks[0].ids).toEqual(tokenizer.encode('a small cat').inputIds);
  });

  it('unescapes \\( \\) even with weighting off (ComfyUI disable_weights)', () => {
    const prompt = tokenizeWeightedPrompt(tokenizer, 'a \\(cat\\)', { weighting: false });
    expect(prompt.chunks[0].ids).toEqual(tokenizer.encode('a (cat)').inputIds);
  });

  it('can keep square brackets as text, as ComfyUI does', () => {
    const prompt = tokenizeWeightedPrompt(tokenizer, '[cat]', { squareBrackets: false });
    expect(prompt.chunks[0].ids).toEqual(tokenizer.encode('[cat]').inputIds);
    expect(prompt.hasWeights).toBe(false);
  });
});

describe('applyTokenWeights: z = (z - z_empty) * w + z_empty per token', () => {
  it('computes the formula row by row on a [3, 2] example', () => {
    const hidden = new Float32Array([1, 2, 3, 4, 5, 6]);
    const empty = new Float32Array([0.5, 0.5, 1, 1, -1, 2]);
    const out = applyTokenWeights(hidden, empty, [1, 2, 0]);
    expect(Array.from(out)).toEqual([1, 2, 5, 7, -1, 2]); // row 1: (3-1)*2+1, (4-1)*2+1; row 2 (w = 0): z_empty
    expect(Array.from(hidden)).toEqual([1, 2, 3, 4, 5, 6]); // inputs untouched
  });

  it('copies weight-1 rows bit for bit, even where the formula would round', () => {
    const hidden = new Float32Array([0.1, 1e-8, 3.3333333]);
    const empty = new Float32Array([1e8, -7.77, 0.3]);
    expect(applyTokenWeights(hidden, empty, [1, 1, 1])).toEqual(hidden);
  });

  it('rounds like PyTorch float32: the weight to float32, every operation to float32', () => {
    const hidden = new Float32Array([0.7, -1.9, 12.345678, 1e-3]);
    const empty = new Float32Array([0.2, 0.4, -3.75, 5e-4]);
    const weights = [1.1 * 1.1, 0.9090909090909091];
    const out = applyTokenWeights(hidden, empty, weights);
    for (let i = 0; i < 4; i++) {
      const w = Math.fround(weights[Math.floor(i / 2)]);
      const expected = Math.fround(Math.fround(Math.fround(hidden[i] - empty[i]) * w) + empty[i]);
      expect(out[i]).toBe(expected);
    }
  });

  it('refuses mismatched shapes with a message naming both', () => {
    expect(() => applyTokenWeights(new Float32Array(6), new Float32Array(4), [1, 1, 1])).toThrow(/emptyHidden \(4\).*\[3, D\]/);
    expect(() => applyTokenWeights(new Float32Array(7), new Float32Array(7), [1, 1, 1])).toThrow(/hidden \(7 values\)/);
  });

  it('concatenates chunk encodings along the token axis', () => {
    const a = new Float32Array([1, 2, 3, 4]);
    const b = new Float32Array([5, 6, 7, 8]);
    expect(Array.from(concatChunkEncodings([a, b]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });
});

describe('encodeWeightedPrompt on the fixture text-encoder outputs', () => {
  // The recorded CLIP outputs of the tiny model, [6, 77, 32], looked up by their input ids.
  const tensors = readSafetensors('test/fixtures/expected/text_encoder.safetensors');
  const ids = tensors.get('input_ids')!.data as BigInt64Array;
  const hidden = tensors.get('last_hidden_state')!.data as Float32Array;
  const D = 32;
  const recorded = new Map<string, Float32Array>();
  for (let row = 0; row < 6; row++) {
    const rowIds = Array.from(ids.subarray(row * 77, (row + 1) * 77), Number);
    recorded.set(rowIds.join(','), hidden.slice(row * 77 * D, (row + 1) * 77 * D));
  }
  const calls: number[][] = [];
  const encodeIds = (chunkIds: number[]) => {
    calls.push(chunkIds);
    const found = recorded.get(chunkIds.join(','));
    if (!found) throw new Error(`no recorded encoding for ${chunkIds.slice(0, 6).join(',')}...`);
    return found;
  };
  const smallCat = recorded.get(tokenizer.encode('a small cat').inputIds.join(','))!;
  const empty = recorded.get(tokenizer.encode('').inputIds.join(','))!;

  it('returns the plain encoding, without encoding the empty prompt, when every weight is 1', async () => {
    calls.length = 0;
    const out = await encodeWeightedPrompt(tokenizeWeightedPrompt(tokenizer, 'a small cat'), encodeIds);
    expect(out).toEqual(smallCat);
    expect(calls.length).toBe(1);
  });

  it('moves weighted tokens along z - z_empty and leaves the others bit-identical', async () => {
    calls.length = 0;
    const out = await encodeWeightedPrompt(tokenizeWeightedPrompt(tokenizer, 'a (small:1.5) (cat:0)'), encodeIds);
    expect(calls.length).toBe(2); // the chunk, then the empty prompt
    expect(out.length).toBe(77 * D);
    for (let token = 0; token < 77; token++) {
      for (let d = 0; d < D; d++) {
        const i = token * D + d;
        if (token === 2) expect(out[i]).toBe(Math.fround(Math.fround(Math.fround(smallCat[i] - empty[i]) * 1.5) + empty[i]));
        else if (token === 3) expect(out[i]).toBe(empty[i]); // weight 0: the empty prompt's vector
        else expect(out[i]).toBe(smallCat[i]);
      }
    }
  });

  it('concatenates chunks: a 2-chunk prompt gives [154, D]', async () => {
    const dir = 'test/fixtures/tiny-sd/tokenizer';
    const fromModelFolder = CLIPTokenizer.loadSync(dir);
    const prompt = tokenizeWeightedPrompt(fromModelFolder, 'cat '.repeat(80));
    expect(prompt.chunks.length).toBe(2);
    // Both chunks encode to the recorded "a small cat" vector so the layout is visible.
    const out = await encodeWeightedPrompt(prompt, () => smallCat);
    expect(out.length).toBe(2 * 77 * D);
    expect(out.subarray(77 * D)).toEqual(smallCat);
  });
});
