// Textual inversion: `embedding:name` injects the file's vectors as tokens. An embedding whose vectors are
// the token-embedding rows of "red" and "circle" must encode exactly like the words "red circle" (the
// injected vectors take the tokens' place, position embeddings and weights included), in the A1111
// (emb_params) and SD 1.x (string_to_param.*) layouts; missing names are ignored with a warning, as in
// ComfyUI; pickle files are refused; the names are listed for /embeddings.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readSafetensorsTensor } from '../../../native/index.ts';
import clipTextEncode from '../../../nodes/core/clip-text-encode.ts';
import { defaultClipTokenizer } from '../../../nodes/text/clip-tokenizer.ts';
import { embeddingNames } from '../../../nodes/text/embeddings.ts';
import type { ClipValue } from '../../../nodes/socket-values.ts';
import { writeSafetensors } from '../../helpers/safetensors.ts';
import { testContext } from '../../helpers/node-context.ts';
import { useTinyModel } from '../../helpers/tiny-model.ts';

const models = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-embeddings-'));
const dir = path.join(models, 'embeddings');
afterAll(() => fs.rmSync(models, { recursive: true, force: true }));

describe('textual-inversion embeddings in CLIPTextEncode', () => {
  const tiny = useTinyModel();
  const clip = (): ClipValue => ({ model: tiny.value.model, tokenizer: defaultClipTokenizer(), source: 'tiny-sd' });
  const encode = async (text: string) => {
    const ctx = { ...testContext('CLIPTextEncode'), services: { paths: { models, input: models, output: models, temp: models } } } as ReturnType<typeof testContext>;
    const out = await clipTextEncode.run({ text, clip: clip() }, ctx);
    return { embeddings: Array.from(out.CONDITIONING[0].embeddings), warnings: ctx.warnings };
  };

  beforeAll(async () => {
    fs.mkdirSync(path.join(dir, 'sub'), { recursive: true });
    const table = await readSafetensorsTensor('test/fixtures/tiny-sd/text_encoder/model.safetensors', 'text_model.embeddings.token_embedding.weight');
    const D = 32;
    const ids = defaultClipTokenizer().encodeContent('red circle');
    expect(ids.length).toBe(2);
    const rows = new Float32Array(ids.length * D);
    ids.forEach((id, i) => rows.set(table.subarray(id * D, (id + 1) * D), i * D));
    writeSafetensors(path.join(dir, 'redcircle.safetensors'), new Map([['emb_params', { shape: [2, D], data: rows }]]));
    writeSafetensors(path.join(dir, 'sub', 'legacy.safetensors'), new Map([['string_to_param.*', { shape: [2, D], data: rows }]]));
    writeSafetensors(path.join(dir, 'wide.safetensors'), new Map([['emb_params', { shape: [1, 768], data: new Float32Array(768) }]]));
    fs.writeFileSync(path.join(dir, 'pickled.pt'), 'not read');
  });

  it('injects the vectors in place of tokens, in both layouts and with weights', async () => {
    const words = await encode('a red circle on grey');
    expect(words.warnings).toEqual([]);
    expect((await encode('a embedding:redcircle on grey')).embeddings).toEqual(words.embeddings);
    expect((await encode('a embedding:sub/legacy on grey')).embeddings).toEqual(words.embeddings);
    expect((await encode('a embedding:redcircle, on grey')).embeddings).toEqual((await encode('a red circle, on grey')).embeddings);
    expect((await encode('a (embedding:redcircle:1.2) on grey')).embeddings).toEqual((await encode('a (red circle:1.2) on grey')).embeddings);
    expect((await encode('a embedding:redcircle on grey')).embeddings).not.toEqual((await encode('a on grey')).embeddings);
  });

  it('ignores a missing name with a warning, as ComfyUI does', async () => {
    const missing = await encode('a embedding:nosuch on grey');
    expect(missing.embeddings).toEqual((await encode('a on grey')).embeddings);
    expect(missing.warnings[0]).toMatch(/embedding:nosuch is not in <models>\/embeddings/);
  });

  it('refuses pickle files, other widths and names outside the folder', async () => {
    await expect(encode('embedding:pickled')).rejects.toThrow(/embedding:pickled is a pickle file \(pickled\.pt\).*convert it to \.safetensors/);
    await expect(encode('embedding:wide')).rejects.toThrow(/width 768.*this text encoder's width is 32/);
    await expect(encode('embedding:../../etc/passwd')).rejects.toThrow(/points outside/);
  });

  it('lists the names /embeddings answers', () => {
    expect(embeddingNames({ paths: { models, input: models, output: models, temp: models } })).toEqual(['redcircle', 'sub/legacy', 'wide']);
  });
});
