/**
 * CLIP's byte-level BPE tokenizer (the text side of Stable Diffusion 1.x), in plain TypeScript.
 *
 * Reproduces Hugging Face transformers' slow `CLIPTokenizer` *without* ftfy (the usual diffusers / ComfyUI
 * setup), token for token; test/fixtures/README.md ("tokenizer") is the specification:
 *   1. the special tokens `<|startoftext|>` / `<|endoftext|>` written literally in the text are split out first
 *      (case-sensitive, as transformers' added-token trie does);
 *   2. every other piece is normalised like transformers' `BasicTokenizer(do_lower_case=True,
 *      strip_accents=False, do_split_on_punc=False)`: drop NUL, U+FFFD and control/format/unassigned characters,
 *      map whitespace to spaces, put spaces around CJK ideographs, NFC, split on whitespace, lowercase (accents
 *      kept), re-join with single spaces;
 *   3. CLIP's regex splits that into pieces; each piece is UTF-8 encoded, its bytes mapped to printable
 *      characters (GPT-2's `bytes_to_unicode`), and BPE-merged with `</w>` on its last symbol;
 *   4. ids come from vocab.json; `encode` adds bos/eos, truncates to 75 content tokens and pads to 77.
 *
 * @example
 *   const tokenizer = defaultClipTokenizer();
 *   tokenizer.encode('a photograph of an astronaut').inputIds; // [49406, 320, 8853, 539, 550, 18376, 49407, 49407, ...]
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The data for checkpoints without a tokenizer folder (single files): OpenAI CLIP's vocabulary and merges. */
export const DEFAULT_CLIP_TOKENIZER_DIR = fileURLToPath(new URL('./clip-tokenizer/', import.meta.url));

/** Token positions of the CLIP text encoder: bos + 75 content tokens + eos. */
export const CLIP_MAX_LENGTH = 77;

export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';

/** What `tokenizer(text, padding="max_length", max_length=77, truncation=True)` gives in transformers. */
export interface ClipEncoding {
  /** [77]: bos, up to 75 content ids, eos, then padding (pad = eos for SD 1.x). */
  inputIds: number[];
  /** [77]: 1 for bos..eos, 0 for padding (SD 1.x does not pass it to the text encoder). */
  attentionMask: number[];
  /** bos, every content id, eos: what the prompt would need without truncation. */
  untruncatedIds: number[];
  /** The BPE strings of `untruncatedIds` (`<|startoftext|>`, `a</w>`, ..., `<|endoftext|>`). */
  bpeTokens: string[];
}

// transformers reads at most this many merges: merges.txt lines [1, 49152 - 256 - 2 + 1).
const MAX_MERGES = 49152 - 256 - 2;

// CLIP's pre-tokenisation regex (transformers, `regex` module with IGNORECASE). `u` gives \p{L} / \p{N}.
const PIECE_PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;

// Python's str.isspace() set: what str.split() (BasicTokenizer's whitespace_tokenize) splits on.
const PYTHON_WHITESPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

// BasicTokenizer._is_control: Unicode category C* (Cc, Cf, Cs, Co, Cn) except \t \n \r.
const CONTROL = /^\p{C}$/u;
// BasicTokenizer._is_whitespace: space, \t, \n, \r or category Zs.
const WHITESPACE = /^[ \t\n\r\p{Zs}]$/u;

/** The cache of BPE results is cleared when it grows past this many distinct pieces (a long-running server). */
const BPE_CACHE_LIMIT = 50_000;

export class CLIPTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  /** Padding id: `pad_token` of tokenizer_config.json when the folder has one, else `<|endoftext|>`. */
  readonly padId: number;
  readonly maxLength = CLIP_MAX_LENGTH;
  /** Where the data came from (a folder, or a caller-supplied name); used in error messages. */
  readonly source: string;

  // BPE string -> id. A null-prototype object straight from JSON.parse: half the load time of a Map here.
  private readonly encoder: Record<string, number>;
  readonly vocabSize: number;
  private readonly bpeRanks: Map<string, number>; // "first second" -> rank (lower merges first)
  private readonly byteEncoder: string[]; // byte value -> printable character
  private readonly unkId: number;
  private bpeCache = new Map<string, string[]>();

  private constructor(vocab: Vocabulary, bpeRanks: Map<string, number>, padToken: string, source: string) {
    const encoder = vocab.encoder;
    this.encoder = encoder;
    this.vocabSize = vocab.size;
    this.bpeRanks = bpeRanks;
    this.source = source;
    this.byteEncoder = bytesToUnicode();
    this.bosId = requireToken(encoder, START_OF_TEXT, source);
    this.eosId = requireToken(encoder, END_OF_TEXT, source);
    this.unkId = this.eosId; // unk = <|endoftext|> in CLIP's config
    this.padId = requireToken(encoder, padToken, source);
  }

  /**
   * Reads vocab.json, merges.txt and (if present) tokenizer_config.json from `dir`: a diffusers model's
   * `tokenizer/` folder, or DEFAULT_CLIP_TOKENIZER_DIR (the default).
   */
  static async load(dir: string = DEFAULT_CLIP_TOKENIZER_DIR): Promise<CLIPTokenizer> {
    const [vocab, merges, config] = await Promise.all([
      readFile(join(dir, 'vocab.json'), 'utf8').catch((cause) => missingFile(dir, 'vocab.json', cause)),
      readFile(join(dir, 'merges.txt'), 'utf8').catch((cause) => missingFile(dir, 'merges.txt', cause)),
      readFile(join(dir, 'tokenizer_config.json'), 'utf8').catch(() => undefined),
    ]);
    return CLIPTokenizer.fromData(vocab, merges, config, dir);
  }

  /** Synchronous `load`, for callers that cannot await (about 60 ms for CLIP's 49408-entry vocabulary and 48894 merges). */
  static loadSync(dir: string = DEFAULT_CLIP_TOKENIZER_DIR): CLIPTokenizer {
    const read = (name: string) => {
      try {
        return readFileSync(join(dir, name), 'utf8');
      } catch (cause) {
        return missingFile(dir, name, cause);
      }
    };
    let config: string | undefined;
    try {
      config = readFileSync(join(dir, 'tokenizer_config.json'), 'utf8');
    } catch {
      config = undefined;
    }
    return CLIPTokenizer.fromData(read('vocab.json'), read('merges.txt'), config, dir);
  }

  /** Builds a tokenizer from the files' contents (`source` names them in error messages). */
  static fromData(vocabJson: string, mergesText: string, configJson?: string, source = '<memory>'): CLIPTokenizer {
    return new CLIPTokenizer(
      parseVocab(vocabJson, source),
      parseMerges(mergesText),
      parsePadToken(configJson, source),
      source,
    );
  }

  /** `encode(text)` as StableDiffusionPipeline tokenizes: 77 ids (bos ... eos, padded), truncating to 75 content tokens. */
  encode(text: string): ClipEncoding {
    const contentTokens = this.tokenize(text);
    const contentIds = contentTokens.map((token) => this.tokenToId(token));
    const kept = contentIds.slice(0, this.maxLength - 2);
    const inputIds = [this.bosId, ...kept, this.eosId];
    const attentionMask = inputIds.map(() => 1);
    while (inputIds.length < this.maxLength) {
      inputIds.push(this.padId);
      attentionMask.push(0);
    }
    return {
      inputIds,
      attentionMask,
      untruncatedIds: [this.bosId, ...contentIds, this.eosId],
      bpeTokens: [START_OF_TEXT, ...contentTokens, END_OF_TEXT],
    };
  }

  /** Content ids of `text` (no bos/eos, no truncation): transformers' `tokenizer(text).input_ids[1:-1]`. */
  encodeContent(text: string): number[] {
    return this.tokenize(text).map((token) => this.tokenToId(token));
  }

  /** The BPE strings of `text`, without bos/eos (transformers' `tokenizer.tokenize(text)`). */
  tokenize(text: string): string[] {
    const tokens: string[] = [];
    for (const segment of splitOnSpecialTokens(text)) {
      if (segment === START_OF_TEXT || segment === END_OF_TEXT) {
        tokens.push(segment);
        continue;
      }
      const normalised = normaliseText(segment);
      for (const match of normalised.matchAll(PIECE_PATTERN)) {
        tokens.push(...this.bpe(this.byteEncode(match[0])));
      }
    }
    return tokens;
  }

  /** Vocabulary id of a BPE string; unknown strings map to `<|endoftext|>` (CLIP's unk). */
  tokenToId(token: string): number {
    return this.encoder[token] ?? this.unkId;
  }

  /** UTF-8 bytes of `piece`, each mapped to its printable stand-in (GPT-2 bytes_to_unicode). */
  private byteEncode(piece: string): string {
    let out = '';
    for (const byte of UTF8.encode(piece)) out += this.byteEncoder[byte];
    return out;
  }

  /**
   * Byte-pair encoding of one piece: start from its characters with `</w>` glued to the last one, then
   * repeatedly merge the adjacent pair with the lowest rank in merges.txt (every non-overlapping
   * occurrence, left to right) until no adjacent pair has a rank.
   */
  private bpe(piece: string): string[] {
    if (piece === START_OF_TEXT || piece === END_OF_TEXT) return [piece]; // transformers pre-seeds its cache so
    const cached = this.bpeCache.get(piece);
    if (cached) return cached;

    const chars = Array.from(piece);
    let word = [...chars.slice(0, -1), chars[chars.length - 1] + '</w>'];
    while (word.length > 1) {
      let bestRank = Infinity;
      let bestFirst = '';
      let bestSecond = '';
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = this.bpeRanks.get(word[i] + ' ' + word[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          bestFirst = word[i];
          bestSecond = word[i + 1];
        }
      }
      if (bestRank === Infinity) break;
      const merged: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i + 1 < word.length && word[i] === bestFirst && word[i + 1] === bestSecond) {
          merged.push(bestFirst + bestSecond);
          i += 2;
        } else {
          merged.push(word[i]);
          i += 1;
        }
      }
      word = merged;
    }

    if (this.bpeCache.size >= BPE_CACHE_LIMIT) this.bpeCache = new Map();
    this.bpeCache.set(piece, word);
    return word;
  }
}

let defaultTokenizer: CLIPTokenizer | undefined;
let defaultTokenizer2: CLIPTokenizer | undefined;

/** The tokenizer over DEFAULT_CLIP_TOKENIZER_DIR, loaded once per process. */
export function defaultClipTokenizer(): CLIPTokenizer {
  defaultTokenizer ??= CLIPTokenizer.loadSync(DEFAULT_CLIP_TOKENIZER_DIR);
  return defaultTokenizer;
}

/**
 * SDXL's second tokenizer (tokenizer_2 of its diffusers folder; ComfyUI's SDXLClipGTokenizer): the same
 * vocabulary, padding with "!" (id 0) instead of <|endoftext|>. For single-file SDXL checkpoints.
 */
export function defaultSdxlTokenizer2(): CLIPTokenizer {
  defaultTokenizer2 ??= CLIPTokenizer.fromData(
    readFileSync(join(DEFAULT_CLIP_TOKENIZER_DIR, 'vocab.json'), 'utf8'),
    readFileSync(join(DEFAULT_CLIP_TOKENIZER_DIR, 'merges.txt'), 'utf8'),
    JSON.stringify({ pad_token: '!' }),
    `${DEFAULT_CLIP_TOKENIZER_DIR} (padding with "!")`,
  );
  return defaultTokenizer2;
}

/**
 * transformers' BasicTokenizer (do_lower_case, accents kept, no punctuation split) followed by
 * `" ".join(...)`, as CLIPTokenizer._tokenize does without ftfy.
 */
export function normaliseText(text: string): string {
  let cleaned = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (codePoint === 0 || codePoint === 0xfffd) continue;
    if (char !== '\t' && char !== '\n' && char !== '\r' && CONTROL.test(char)) continue;
    if (WHITESPACE.test(char)) cleaned += ' ';
    else if (isCjkIdeograph(codePoint)) cleaned += ' ' + char + ' ';
    else cleaned += char;
  }
  const words = cleaned.normalize('NFC').split(PYTHON_WHITESPACE).filter((word) => word !== '');
  return words.map((word) => word.toLowerCase()).join(' ');
}

/** BasicTokenizer._is_chinese_char: the CJK Unified Ideographs blocks (not kana, not hangul). */
function isCjkIdeograph(codePoint: number): boolean {
  return (
    (codePoint >= 0x4e00 && codePoint <= 0x9fff) ||
    (codePoint >= 0x3400 && codePoint <= 0x4dbf) ||
    (codePoint >= 0x20000 && codePoint <= 0x2a6df) ||
    (codePoint >= 0x2a700 && codePoint <= 0x2b73f) ||
    (codePoint >= 0x2b740 && codePoint <= 0x2b81f) ||
    (codePoint >= 0x2b820 && codePoint <= 0x2ceaf) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0x2f800 && codePoint <= 0x2fa1f)
  );
}

/**
 * Splits out the literal special tokens, as transformers' added-token trie does before normalisation:
 * "a<|endoftext|>b" -> ["a", "<|endoftext|>", "b"]. Empty pieces are dropped.
 */
function splitOnSpecialTokens(text: string): string[] {
  const pieces: string[] = [];
  let rest = text;
  for (;;) {
    const start = rest.indexOf(START_OF_TEXT);
    const end = rest.indexOf(END_OF_TEXT);
    const at = start < 0 ? end : end < 0 ? start : Math.min(start, end);
    if (at < 0) break;
    const special = at === start ? START_OF_TEXT : END_OF_TEXT;
    if (at > 0) pieces.push(rest.slice(0, at));
    pieces.push(special);
    rest = rest.slice(at + special.length);
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

/**
 * GPT-2's reversible byte -> character table: printable Latin-1 bytes map to themselves, the other 68
 * (controls, space, 0x7f-0xa0, 0xad) to U+0100 onwards, so no BPE symbol is whitespace or a control.
 */
function bytesToUnicode(): string[] {
  const table = new Array<string>(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    table[byte] = String.fromCodePoint(printable ? byte : next++);
  }
  return table;
}

const UTF8 = new TextEncoder();

interface Vocabulary {
  encoder: Record<string, number>;
  size: number;
}

function parseVocab(vocabJson: string, source: string): Vocabulary {
  let parsed: unknown;
  try {
    parsed = JSON.parse(vocabJson);
  } catch (cause) {
    throw new Error(`CLIP tokenizer ${source}: vocab.json is not valid JSON (${(cause as Error).message}); replace it with the model's original file.`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`CLIP tokenizer ${source}: vocab.json must be an object mapping BPE strings to ids.`);
  }
  const encoder = parsed as Record<string, unknown>;
  let size = 0;
  for (const token in encoder) {
    const id = encoder[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
      throw new Error(`CLIP tokenizer ${source}: vocab.json maps ${JSON.stringify(token)} to ${JSON.stringify(id)}, not a non-negative integer id.`);
    }
    size++;
  }
  Object.setPrototypeOf(encoder, null); // so "constructor", "toString", ... are not found in Object.prototype
  return { encoder: encoder as Record<string, number>, size };
}

const SIMPLE_MERGE = /^\S+ \S+$/;

/** merges.txt: a version line, then "first second" per line, most frequent merge first (rank 0). */
function parseMerges(mergesText: string): Map<string, number> {
  const lines = mergesText.trim().split('\n');
  const ranks = new Map<string, number>();
  const count = Math.min(lines.length - 1, MAX_MERGES);
  for (let rank = 0; rank < count; rank++) {
    const line = lines[rank + 1];
    if (SIMPLE_MERGE.test(line)) {
      ranks.set(line, rank);
    } else {
      const parts = line.trim().split(/\s+/);
      if (parts.length === 2) ranks.set(parts[0] + ' ' + parts[1], rank); // other lines can never match a pair
    }
  }
  return ranks;
}

function parsePadToken(configJson: string | undefined, source: string): string {
  if (configJson === undefined) return END_OF_TEXT;
  let config: unknown;
  try {
    config = JSON.parse(configJson);
  } catch (cause) {
    throw new Error(`CLIP tokenizer ${source}: tokenizer_config.json is not valid JSON (${(cause as Error).message}).`, { cause });
  }
  const pad = (config as { pad_token?: unknown } | null)?.pad_token;
  if (typeof pad === 'string') return pad;
  if (typeof pad === 'object' && pad !== null && typeof (pad as { content?: unknown }).content === 'string') {
    return (pad as { content: string }).content;
  }
  return END_OF_TEXT;
}

function requireToken(encoder: Record<string, number>, token: string, source: string): number {
  const id = encoder[token];
  if (id === undefined) {
    throw new Error(`CLIP tokenizer ${source}: vocab.json has no ${JSON.stringify(token)} token; is this a CLIP tokenizer folder?`);
  }
  return id;
}

function missingFile(dir: string, name: string, cause: unknown): never {
  throw new Error(
    `CLIP tokenizer: cannot read ${join(dir, name)} (${(cause as Error).message}); a tokenizer folder needs vocab.json and merges.txt.`,
    { cause },
  );
}
