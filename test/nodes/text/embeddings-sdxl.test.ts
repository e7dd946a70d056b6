// SDXL textual inversion: an SDXL embedding file carries `clip_l` (CLIP-L's width) and `clip_g` (bigG's
// width) tensors; `embedding:name` injects each into its own encoder, so CLIPTextEncode / CLIPTextEncodeSDXL
// must equal the native encoders run on the same token ids with those vectors (ids vocab_size + i), both
// encoders' penultimate states and bigG's pooled output. An SD 1.x embedding (one tensor, CLIP-L's width)
// conditions CLIP-L only: bigG skips it with a warning (its tokens taken out, the chunk padded), as ComfyUI
// does; a width fitting neither encoder is refused. The fixture's encoders are 32 (L) and 48 (G) wide.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeTextPooled } from '../../../native/index.ts';
import clipTextEncode from '../../../nodes/core/clip-text-encode.ts';
import clipTextEncodeSdxl from '../../../nodes/core/clip-text-encode-sdxl.ts';
import { loadCheckpoint, type LoadedCheckpoint } from '../../../nodes/models/load-checkpoint.ts';
import { embeddingNames } from '../../../nodes/text/embeddings.ts';
import { applyTokenWeights } from '../../../nodes/text/encode-prompt.ts';
import type { CLIPTokenizer } from '../../../nodes/text/clip-tokenizer.ts';
import { writeSafetensors } from '../../helpers/safetensors.ts';
import { testContext } from '../../helpers/node-context.ts';

const models = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-embeddings-sdxl-'));
const dir = path.join(models, 'embeddings');
const paths = { models, input: models, output: models, temp: models };
afterAll(() => fs.rmSync(models, { recursive: true, force: true }));

/** Deterministic pseudo-random vectors in [-1, 1) (a small LCG; any values do). */
function randomVectors(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

describe('SDXL textual-inversion embeddings', () => {
  let loaded: LoadedCheckpoint;
  let DL: number, DG: number, VL: number, VG: number;
  const clipL = randomVectors(2 * 32, 1);
  const clipG = randomVectors(2 * 48, 2);
  const sd1 = randomVectors(2 * 32, 3);

  beforeAll(async () => {
    loaded = await loadCheckpoint('test/fixtures/sdxl/tiny-sdxl', 'f32');
    const info = loaded.CLIP.model.info;
    [DL, DG, VL, VG] = [info.clip!.hidden_size, info.clip2!.hidden_size, info.clip!.vocab_size, info.clip2!.vocab_size];
    expect([DL, DG]).toEqual([32, 48]);
    fs.mkdirSync(dir, { recursive: true });
    writeSafetensors(path.join(dir, 'xl.safetensors'), new Map([
      ['clip_g', { shape: [2, 48], data: clipG }],
      ['clip_l', { shape: [2, 32], data: clipL }],
    ]));
    writeSafetensors(path.join(dir, 'sd1.safetensors'), new Map([['emb_params', { shape: [2, 32], data: sd1 }]]));
    writeSafetensors(path.join(dir, 'sd2.safetensors'), new Map([['emb_params', { shape: [1, 40], data: new Float32Array(40) }]]));
  });
  afterAll(() => loaded.MODEL.model.dispose());

  const ctx = (type: string) => ({ ...testContext(type), services: { paths } }) as ReturnType<typeof testContext>;
  const encode = async (text: string) => {
    const c = ctx('CLIPTextEncode');
    const [entry] = (await clipTextEncode.run({ text, clip: loaded.CLIP }, c)).CONDITIONING;
    return { entry, warnings: c.warnings };
  };
  const encodeXl = async (text_l: string, text_g: string) => {
    const c = ctx('CLIPTextEncodeSDXL');
    const inputs = { clip: loaded.CLIP, width: 64, height: 64, crop_w: 0, crop_h: 0, target_width: 64, target_height: 64, text_g, text_l };
    const [entry] = (await clipTextEncodeSdxl.run(inputs, c)).CONDITIONING;
    return { entry, warnings: c.warnings };
  };

  /** 77 ids: bos, the pieces (token ids, or numbers already ids), eos, padding. */
  const chunk = (tokenizer: CLIPTokenizer, pieces: Array<string | number[]>) => {
    const ids = [tokenizer.bosId, ...pieces.flatMap((p) => (typeof p === 'string' ? tokenizer.encodeContent(p) : p)), tokenizer.eosId];
    while (ids.length < 77) ids.push(tokenizer.padId);
    return ids;
  };
  /** The reference: both native encoders on explicit ids and vectors, concatenated per token; bigG's pooled output. */
  const reference = async (idsL: number[], vectorsL: Float32Array, idsG: number[], vectorsG: Float32Array, weights?: number[]) => {
    const model = loaded.CLIP.model;
    const run = async (encoder: 0 | 1, ids: number[], vectors: Float32Array) => {
      const out = await encodeTextPooled(model, encoder, Int32Array.from(ids), { clipSkip: 2, finalLayerNorm: false, vectors });
      if (!weights) return out;
      const tok = encoder === 0 ? loaded.CLIP.tokenizer : loaded.CLIP.tokenizer2!;
      const empty = (await encodeTextPooled(model, encoder, Int32Array.from(chunk(tok, [])), { clipSkip: 2, finalLayerNorm: false })).hidden;
      return { hidden: applyTokenWeights(out.hidden, empty, weights), pooled: out.pooled };
    };
    const l = await run(0, idsL, vectorsL), g = await run(1, idsG, vectorsG);
    const embeddings = new Float32Array(77 * (DL + DG));
    for (let t = 0; t < 77; t++) {
      embeddings.set(l.hidden.subarray(t * DL, (t + 1) * DL), t * (DL + DG));
      embeddings.set(g.hidden.subarray(t * DG, (t + 1) * DG), t * (DL + DG) + DL);
    }
    return { embeddings, pooled: g.pooled };
  };

  it('CLIPTextEncode injects clip_l into CLIP-L and clip_g into bigG (hidden states and pooled output)', async () => {
    const tl = loaded.CLIP.tokenizer, tg = loaded.CLIP.tokenizer2!;
    const { entry, warnings } = await encode('a embedding:xl on grey');
    expect(warnings).toEqual([]);
    const ref = await reference(chunk(tl, ['a', [VL, VL + 1], 'on grey']), clipL, chunk(tg, ['a', [VG, VG + 1], 'on grey']), clipG);
    expect(entry.shape).toEqual([1, 77, DL + DG]);
    expect(Array.from(entry.embeddings)).toEqual(Array.from(ref.embeddings));
    expect(Array.from(entry.pooled!)).toEqual(Array.from(ref.pooled));
    // The embedding does change the conditioning (both halves and the pooled output).
    const plain = (await encode('a on grey')).entry;
    expect(Array.from(entry.pooled!)).not.toEqual(Array.from(plain.pooled!));
    expect(Array.from(entry.embeddings.subarray(2 * (DL + DG), 2 * (DL + DG) + DL))).not.toEqual(Array.from(plain.embeddings.subarray(2 * (DL + DG), 2 * (DL + DG) + DL)));
  });

  it('(embedding:name:1.2) weighs the injected tokens like any others', async () => {
    const tl = loaded.CLIP.tokenizer, tg = loaded.CLIP.tokenizer2!;
    const { entry } = await encode('a (embedding:xl:1.2) on grey');
    const weights = Array(77).fill(1);
    weights[2] = weights[3] = 1.2;
    const ref = await reference(chunk(tl, ['a', [VL, VL + 1], 'on grey']), clipL, chunk(tg, ['a', [VG, VG + 1], 'on grey']), clipG, weights);
    expect(Array.from(entry.embeddings)).toEqual(Array.from(ref.embeddings));
    expect(Array.from(entry.pooled!)).toEqual(Array.from(ref.pooled));
  });

  it('CLIPTextEncodeSDXL injects each tensor into the prompt of its own encoder', async () => {
    const tl = loaded.CLIP.tokenizer, tg = loaded.CLIP.tokenizer2!;
    const { entry, warnings } = await encodeXl('embedding:xl, a cat', 'a dog embedding:xl');
    expect(warnings).toEqual([]);
    const ref = await reference(chunk(tl, [[VL, VL + 1], ', a cat']), clipL, chunk(tg, ['a dog', [VG, VG + 1]]), clipG);
    expect(Array.from(entry.embeddings)).toEqual(Array.from(ref.embeddings));
    expect(Array.from(entry.pooled!)).toEqual(Array.from(ref.pooled));
  });

  it('an SD 1.x embedding (CLIP-L wide) conditions CLIP-L only: bigG skips it with a warning, as ComfyUI does', async () => {
    const tl = loaded.CLIP.tokenizer, tg = loaded.CLIP.tokenizer2!;
    const { entry, warnings } = await encode('a embedding:sd1 on grey');
    // bigG: the two tokens taken out, the chunk padded at the end = the ids of "a on grey".
    const ref = await reference(chunk(tl, ['a', [VL, VL + 1], 'on grey']), sd1, chunk(tg, ['a on grey']), new Float32Array(0));
    expect(Array.from(entry.embeddings)).toEqual(Array.from(ref.embeddings));
    expect(Array.from(entry.pooled!)).toEqual(Array.from(ref.pooled));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/embedding:sd1 has no clip_g tensor of width 48 \(tensor "emb_params" is 32 wide.*OpenCLIP bigG encoder ignores it/);
    // In text_g alone it conditions nothing: equal to the prompt without it.
    const gOnly = await encodeXl('a on grey', 'a embedding:sd1 on grey');
    expect(Array.from(gOnly.entry.embeddings)).toEqual(Array.from((await encodeXl('a on grey', 'a on grey')).entry.embeddings));
    expect(gOnly.warnings).toHaveLength(1);
  });

  it('refuses an embedding whose width fits neither encoder, and warns for a missing one', async () => {
    await expect(encode('a embedding:sd2')).rejects.toThrow(/embedding:sd2 has vectors of width 40.*text encoders are 32 \(clip_l\) and 48 \(clip_g\) wide.*another model/);
    const missing = await encode('a embedding:nosuch on grey');
    expect(Array.from(missing.entry.embeddings)).toEqual(Array.from((await encode('a on grey')).entry.embeddings));
    expect(missing.warnings).toEqual(['embedding:nosuch is not in <models>/embeddings; the word is ignored, as ComfyUI does']);
  });

  it('/embeddings lists the SDXL file', () => {
    expect(embeddingNames({ paths })).toEqual(['sd1', 'sd2', 'xl']);
  });
});
