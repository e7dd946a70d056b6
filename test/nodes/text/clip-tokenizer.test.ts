import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import {
  CLIPTokenizer,
  DEFAULT_CLIP_TOKENIZER_DIR,
  defaultClipTokenizer,
  normaliseText,
} from '../../../nodes/text/clip-tokenizer.ts';

const FIXTURE_TOKENIZER_DIR = 'test/fixtures/tiny-sd/tokenizer';

interface FixturePrompt {
  name: string;
  text: string;
  input_ids: number[];
  attention_mask: number[];
  untruncated_ids: number[];
  num_untruncated_ids: number;
  bpe_tokens: string[];
}
const fixture = JSON.parse(readFileSync('test/fixtures/expected/tokenizer.json', 'utf8')) as {
  bos_id: number;
  eos_id: number;
  pad_id: number;
  prompts: FixturePrompt[];
};

describe('CLIPTokenizer: transformers CLIPTokenizer (no ftfy) on every fixture prompt', () => {
  // The model's own folder, as a diffusers checkpoint would use it.
  const tokenizer = CLIPTokenizer.loadSync(FIXTURE_TOKENIZER_DIR);

  it('has the fixture special ids', () => {
    expect([tokenizer.bosId, tokenizer.eosId, tokenizer.padId]).toEqual([fixture.bos_id, fixture.eos_id, fixture.pad_id]);
    expect(tokenizer.vocabSize).toBe(49408);
  });

  it.each(fixture.prompts.map((prompt) => [prompt.name, prompt] as const))('%s', (_name, prompt) => {
    const encoding = tokenizer.encode(prompt.text);
    expect(encoding.bpeTokens).toEqual(prompt.bpe_tokens);
    expect(encoding.untruncatedIds).toEqual(prompt.untruncated_ids);
    expect(encoding.untruncatedIds.length).toBe(prompt.num_untruncated_ids);
    expect(encoding.inputIds).toEqual(prompt.input_ids);
    expect(encoding.attentionMask).toEqual(prompt.attention_mask);
  });

  it('truncates to 75 content tokens with eos at position 76', () => {
    const long = fixture.prompts.find((prompt) => prompt.name === 'long_truncated')!;
    const encoding = tokenizer.encode(long.text);
    expect(encoding.untruncatedIds.length).toBe(90);
    expect(encoding.inputIds.length).toBe(77);
    expect(encoding.inputIds.slice(0, 76)).toEqual(encoding.untruncatedIds.slice(0, 76));
    expect(encoding.inputIds[76]).toBe(49407);
    expect(encoding.attentionMask.every((bit) => bit === 1)).toBe(true);
  });
});

describe('CLIPTokenizer: default data (single-file checkpoints)', () => {
  it('ships the same vocabulary and merges as the fixture model', () => {
    for (const name of ['vocab.json', 'merges.txt']) {
      expect(readFileSync(join(DEFAULT_CLIP_TOKENIZER_DIR, name)).equals(readFileSync(join(FIXTURE_TOKENIZER_DIR, name)))).toBe(true);
    }
  });

  it('loads and encodes every fixture prompt identically (its load time: npm run bench:overheads)', async () => {
    const tokenizer = await CLIPTokenizer.load();
    for (const prompt of fixture.prompts) expect(tokenizer.encode(prompt.text).inputIds).toEqual(prompt.input_ids);
    expect(defaultClipTokenizer()).toBe(defaultClipTokenizer());
  });
});

describe('CLIPTokenizer: behaviour beyond the fixtures', () => {
  const tokenizer = defaultClipTokenizer();

  it('splits literal special tokens before normalisation, so punctuation next to them stays separate', () => {
    // Without the split, "!<|" would be one punctuation run for CLIP's regex.
    expect(tokenizer.tokenize('wow!<|endoftext|>')).toEqual(['wow</w>', '!</w>', '<|endoftext|>']);
    expect(tokenizer.encodeContent('<|startoftext|>')).toEqual([49406]);
  });

  it('lowercases without stripping accents and is NFC-normalised', () => {
    expect(normaliseText('CAFE\u0301  Ünïcode')).toBe('café ünïcode');
    expect(tokenizer.tokenize('CAFE\u0301')).toEqual(tokenizer.tokenize('café'));
  });

  it('drops control characters and U+FFFD, keeps CJK ideographs as separate words', () => {
    expect(normaliseText('a\u0000b\u200bc\ufffdd\u0007e')).toBe('abcde');
    expect(normaliseText('猫cat')).toBe('猫 cat');
    expect(normaliseText('tab\there\u3000wide\u00a0nbsp\u2028line')).toBe('tab here wide nbsp line');
  });

  it('keeps digits as single tokens and contractions as their own pieces', () => {
    expect(tokenizer.tokenize("42 it's")).toEqual(['4</w>', '2</w>', 'it</w>', "'s</w>"]);
  });

  it('gives the same ids the second time (BPE cache) and for whitespace-only text as for empty text', () => {
    const first = tokenizer.encode('an unusualword like xylophonist');
    expect(tokenizer.encode('an unusualword like xylophonist')).toEqual(first);
    expect(tokenizer.encode(' \t\n ').inputIds).toEqual(tokenizer.encode('').inputIds);
  });
});

describe('CLIPTokenizer: load errors name the file and the fix', () => {
  it('reports a missing folder', async () => {
    await expect(CLIPTokenizer.load('/nonexistent/tokenizer')).rejects.toThrow(/\/nonexistent\/tokenizer\/(vocab\.json|merges\.txt).*needs vocab\.json and merges\.txt/);
    expect(() => CLIPTokenizer.loadSync('/nonexistent/tokenizer')).toThrow(/vocab\.json/);
  });

  it('reports malformed vocab.json and a vocabulary without CLIP special tokens', () => {
    const merges = '#version: 0.2\na b\n';
    expect(() => CLIPTokenizer.fromData('{"a": 1', merges, undefined, 'bad-dir')).toThrow(/bad-dir: vocab\.json is not valid JSON/);
    expect(() => CLIPTokenizer.fromData('[1, 2]', merges)).toThrow(/must be an object/);
    expect(() => CLIPTokenizer.fromData('{"a": "x"}', merges)).toThrow(/"a" to "x"/);
    expect(() => CLIPTokenizer.fromData('{"a": 0}', merges)).toThrow(/no "<\|startoftext\|>" token/);
  });

  it('reads pad_token from tokenizer_config.json when the folder has one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latentflow-tokenizer-'));
    const vocab = JSON.stringify({ '!': 0, 'a</w>': 1, '<|startoftext|>': 2, '<|endoftext|>': 3 });
    writeFileSync(join(dir, 'vocab.json'), vocab);
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\n');
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ pad_token: '!' }));
    const tokenizer = CLIPTokenizer.loadSync(dir);
    expect(tokenizer.padId).toBe(0);
    const encoding = tokenizer.encode('a a');
    expect(encoding.inputIds.slice(0, 6)).toEqual([2, 1, 1, 3, 0, 0]);
    // A BPE string missing from the vocabulary maps to <|endoftext|> (CLIP's unk).
    expect(encoding.untruncatedIds).toEqual([2, 1, 1, 3]);
    expect(tokenizer.encodeContent('b')).toEqual([3]);
  });
});
