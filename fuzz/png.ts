/**
 * PNG fuzzer for the TypeScript PNG readers — a coverage-FREE mutation fuzzer (no instrumentation:
 * libFuzzer cannot see inside V8, and Jazzer.js needs a prebuilt binary this machine cannot fetch).
 *
 * Targets, each on every input:
 *   - nodes/image/png.ts  readPngText(), decodePng()       (server: /upload/image, LoadImage, outputs)
 *   - editor/src/graph/png-text.ts  readPngText(), workflowFromPng()   (editor: dropping a PNG)
 * Property: each call returns, or throws the reader's own error class (PngError; PngTextError) —
 * never a TypeError/RangeError/zlib error, never a hang; a decoded image has width*height*channels bytes.
 *
 * Mutation is structure-aware: the input is split into chunks, a chunk is mutated (bit flips, IHDR
 * fields set to edge values, bodies replaced by random/compressed/corrupt zlib data, chunks duplicated,
 * dropped, reordered, truncated) and the CRCs are recomputed (most of the time), so inputs get past
 * the CRC check into the decoders. Without coverage, the feedback is the *outcome*: an input whose
 * outcome (return shape or error message with numbers removed) was not seen before joins the pool.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { decodePng, PngError, readPngText } from '../nodes/image/png.ts';

// The editor's module is loaded by path so that this file's type check (tsconfig.json, Node types)
// does not pull in editor code, which is checked by editor/tsconfig.json with the DOM types.
interface EditorPngText {
  PngTextError: new (...args: never[]) => Error;
  readPngText(bytes: Uint8Array): Promise<Record<string, string>>;
  workflowFromPng(bytes: Uint8Array): Promise<unknown>;
}
const editorModule = '../editor/src/graph/png-text.ts';
const { PngTextError, readPngText: editorReadPngText, workflowFromPng } = (await import(editorModule)) as EditorPngText;

export interface FuzzResult {
  target: string;
  execs: number;
  seconds: number;
  crashes: string[]; // files written under crashDir
  pool: number;
}

interface Chunk {
  type: string;
  body: Buffer;
}

const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EDGE_U32 = [0, 1, 2, 7, 8, 255, 256, 0x7fff, 0x8000, 0xffff, 0x10000, 8192, 8193, 0x7fffffff, 0x80000000, 0xffffffff];
const TYPES = ['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND', 'tEXt', 'zTXt', 'iTXt', 'gAMA', 'abcd'];

/** A seeded PRNG (mulberry32), so a run can be repeated with --seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] };
}
type Rng = ReturnType<typeof rng>;

function split(png: Buffer): Chunk[] | null {
  if (png.length < 8 || !png.subarray(0, 8).equals(SIG)) return null;
  const out: Chunk[] = [];
  let pos = 8;
  while (pos + 12 <= png.length) {
    const length = png.readUInt32BE(pos);
    if (pos + 12 + length > png.length) return null;
    out.push({ type: png.toString('latin1', pos + 4, pos + 8), body: Buffer.from(png.subarray(pos + 8, pos + 8 + length)) });
    pos += 12 + length;
  }
  return out;
}

function join(chunks: Chunk[], fixCrc: boolean, r: Rng): Buffer {
  const parts: Buffer[] = [SIG];
  for (const c of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(c.body.length, 0);
    head.write(c.type.padEnd(4, 'x').slice(0, 4), 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(fixCrc ? zlib.crc32(Buffer.concat([head.subarray(4), c.body])) : r.int(2 ** 32));
    parts.push(head, c.body, crc);
  }
  return Buffer.concat(parts);
}

function randomBytes(r: Rng, max: number): Buffer {
  const b = Buffer.alloc(r.int(max + 1));
  for (let i = 0; i < b.length; i++) b[i] = r.int(256);
  return b;
}

function flip(body: Buffer, r: Rng): Buffer {
  const b = Buffer.from(body);
  if (b.length === 0) return randomBytes(r, 8);
  for (let n = 1 + r.int(4); n > 0; n--) b[r.int(b.length)] ^= 1 << r.int(8);
  return b;
}

function mutateChunk(c: Chunk, r: Rng): Chunk {
  const body = Buffer.from(c.body);
  switch (r.int(7)) {
    case 0:
      return { type: c.type, body: flip(body, r) };
    case 1: {
      // An edge value in a u32 field (IHDR width/height) or a byte field (depth, colour, interlace).
      if (body.length >= 4 && r.next() < 0.5) body.writeUInt32BE(r.pick(EDGE_U32), 4 * r.int(Math.min(2, body.length >> 2)));
      else if (body.length > 0) body[r.int(body.length)] = r.pick([0, 1, 2, 3, 4, 6, 7, 8, 16, 255]);
      return { type: c.type, body };
    }
    case 2: // truncate or extend
      return { type: c.type, body: r.next() < 0.5 ? body.subarray(0, r.int(body.length + 1)) : Buffer.concat([body, randomBytes(r, 16)]) };
    case 3: // a compressed body: valid zlib of random bytes, or its corruption
      return { type: c.type, body: r.next() < 0.5 ? zlib.deflateSync(randomBytes(r, 512)) : flip(zlib.deflateSync(randomBytes(r, 64)), r) };
    case 4: {
      // A text chunk with random keyword layout / compression flags.
      const keyword = r.pick(['workflow', 'prompt', '', 'a'.repeat(80), '__proto__', 'constructor']);
      const type = r.pick(['tEXt', 'zTXt', 'iTXt']);
      const payload = r.next() < 0.5 ? zlib.deflateSync(Buffer.from(r.pick(['{}', '[]', '{"1":{"class_type":"X","inputs":{}}}', 'null', '{"nodes":5}']))) : randomBytes(r, 32);
      const flags = Buffer.from([0, r.int(3), r.int(2)]);
      return { type, body: Buffer.concat([Buffer.from(keyword, 'latin1'), flags.subarray(0, r.int(4)), Buffer.from('en\0\0'), payload]) };
    }
    case 5:
      return { type: r.pick(TYPES), body };
    default:
      return { type: c.type, body: randomBytes(r, 64) };
  }
}

function mutate(input: Buffer, r: Rng): Buffer {
  const chunks = split(input);
  if (!chunks || chunks.length === 0 || r.next() < 0.1) {
    // Raw byte mutations (no structure, CRCs left broken).
    const b = Buffer.from(input);
    const op = r.int(3);
    if (op === 0 && b.length) for (let n = 1 + r.int(8); n > 0; n--) b[r.int(b.length)] = r.int(256);
    if (op === 1) return b.subarray(0, r.int(b.length + 1));
    if (op === 2) return Buffer.concat([b.subarray(0, r.int(b.length + 1)), randomBytes(r, 16), b.subarray(r.int(b.length + 1))]);
    return b;
  }
  for (let n = 1 + r.int(3); n > 0; n--) {
    const op = r.int(10);
    const i = r.int(chunks.length);
    if (op < 6) chunks[i] = mutateChunk(chunks[i], r);
    else if (op === 6) chunks.splice(i, 0, { type: chunks[r.int(chunks.length)].type, body: Buffer.from(chunks[r.int(chunks.length)].body) });
    else if (op === 7 && chunks.length > 1) chunks.splice(i, 1);
    else if (op === 8) {
      const j = r.int(chunks.length);
      [chunks[i], chunks[j]] = [chunks[j], chunks[i]];
    } else chunks.splice(i, 0, mutateChunk({ type: r.pick(TYPES), body: Buffer.alloc(0) }, r));
  }
  return join(chunks, r.next() < 0.95, r);
}

/** What happened to one input: a short label (numbers removed), or a finding. */
export async function check(input: Buffer): Promise<{ outcome: string; finding?: string }> {
  const outcomes: string[] = [];
  const expect = (error: unknown, ...allowed: Array<new (...a: never[]) => Error>) => {
    if (allowed.some((cls) => error instanceof cls)) {
      outcomes.push((error as Error).message.replace(/\d+/g, 'N').slice(0, 80));
      return undefined;
    }
    return `${(error as Error)?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}`;
  };
  const started = performance.now();
  try {
    outcomes.push(`text:${Object.keys(readPngText(input)).sort().join(',')}`);
  } catch (error) {
    const f = expect(error, PngError);
    if (f) return { outcome: 'finding', finding: `nodes/image/png.ts readPngText threw ${f}` };
  }
  try {
    const image = decodePng(input);
    if (image.data.length !== image.width * image.height * image.channels) {
      return { outcome: 'finding', finding: `decodePng returned ${image.data.length} bytes for ${image.width}x${image.height}x${image.channels}` };
    }
    outcomes.push(`image:${image.channels}`);
  } catch (error) {
    const f = expect(error, PngError);
    if (f) return { outcome: 'finding', finding: `nodes/image/png.ts decodePng threw ${f}` };
  }
  try {
    outcomes.push(`editor:${Object.keys(await editorReadPngText(input)).length}`);
    await workflowFromPng(input);
  } catch (error) {
    const f = expect(error, PngTextError);
    if (f) return { outcome: 'finding', finding: `editor/src/graph/png-text.ts threw ${f}` };
  }
  const ms = performance.now() - started;
  if (ms > 2000) return { outcome: 'finding', finding: `slow input: ${ms.toFixed(0)} ms` };
  return { outcome: outcomes.join('|') };
}

export async function fuzzPng(options: { seconds: number; corpusDir: string; crashDir: string; seed?: number; log?: (line: string) => void }): Promise<FuzzResult> {
  const r = rng(options.seed ?? Date.now());
  const pool: Buffer[] = fs.readdirSync(options.corpusDir).map((f) => fs.readFileSync(path.join(options.corpusDir, f)));
  if (pool.length === 0) throw new Error(`no seeds in ${options.corpusDir}`);
  const seen = new Set<string>();
  const crashes: string[] = [];
  const findings = new Set<string>();
  const deadline = performance.now() + options.seconds * 1000;
  let execs = 0;
  for (const seed of pool) seen.add((await check(seed)).outcome);
  while (performance.now() < deadline) {
    const input = mutate(r.pick(pool), r);
    execs++;
    const { outcome, finding } = await check(input);
    if (finding) {
      const key = finding.replace(/ threw (\w+).*/, ' threw $1').replace(/\d+/g, 'N'); // one file per place and error class
      if (!findings.has(key)) {
        findings.add(key);
        fs.mkdirSync(options.crashDir, { recursive: true });
        const file = path.join(options.crashDir, `crash-${crypto.createHash('sha1').update(input).digest('hex')}.png`);
        fs.writeFileSync(file, input);
        crashes.push(file);
        options.log?.(`png: ${finding} -> ${file}`);
      }
    } else if (!seen.has(outcome) && pool.length < 5000) {
      seen.add(outcome);
      pool.push(input);
    }
  }
  return { target: 'png (TypeScript, coverage-free mutation)', execs, seconds: options.seconds, crashes, pool: pool.length };
}
