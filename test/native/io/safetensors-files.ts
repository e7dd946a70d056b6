/**
 * Test helpers that write safetensors files byte by byte (valid or deliberately broken) and read
 * headers independently of the engine, so the tests do not trust the code they test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RawEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** A fresh temporary directory, removed by the returned cleanup function. */
export function makeTempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `latentflow-${prefix}-`));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes `8-byte length | header | data`. `header` may be an object (JSON-encoded, padded with
 * `padding` spaces) or raw text/bytes; `headerLength` overrides the length field.
 */
export function writeRaw(
  file: string,
  header: object | string | Buffer,
  data: Buffer = Buffer.alloc(0),
  options: { headerLength?: bigint; padding?: number } = {},
): string {
  const body = Buffer.isBuffer(header)
    ? header
    : Buffer.from((typeof header === 'string' ? header : JSON.stringify(header)) + ' '.repeat(options.padding ?? 0), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(options.headerLength ?? BigInt(body.length));
  fs.writeFileSync(file, Buffer.concat([length, body, data]));
  return file;
}

/** Reads a header with plain JS (no engine): the entries and where the data section starts. */
export function readHeader(file: string): { header: Record<string, RawEntry> & { __metadata__?: Record<string, string> }; dataStart: number } {
  const fd = fs.openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    fs.readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const text = Buffer.alloc(n);
    fs.readSync(fd, text, 0, n, 8);
    return { header: JSON.parse(text.toString('utf8')), dataStart: 8 + n };
  } finally {
    fs.closeSync(fd);
  }
}

/** A tensor for `writeTensors`: values as raw little-endian bytes. */
export interface TensorBytes {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Buffer;
}

/** Writes a valid file from tensors (in order, packed), with optional metadata and header padding. */
export function writeTensors(
  file: string,
  tensors: TensorBytes[],
  options: { metadata?: Record<string, string>; padding?: number } = {},
): string {
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.length] };
    offset += t.bytes.length;
  }
  return writeRaw(file, header, Buffer.concat(tensors.map((t) => t.bytes)), { padding: options.padding });
}

/**
 * Copies a safetensors file tensor by tensor, letting `transform` rename, drop or add entries
 * (return null to drop). The copy is packed in the original order and its header padded with
 * `padding` spaces (use an odd padding to misalign the data).
 */
export function rewrite(
  src: string,
  dst: string,
  transform: (name: string, entry: RawEntry, bytes: Buffer) => TensorBytes | null,
  options: { extra?: TensorBytes[]; padding?: number } = {},
): string {
  const { header, dataStart } = readHeader(src);
  const all = fs.readFileSync(src);
  const tensors: TensorBytes[] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const e = entry as RawEntry;
    const bytes = all.subarray(dataStart + e.data_offsets[0], dataStart + e.data_offsets[1]);
    const out = transform(name, e, bytes);
    if (out) tensors.push(out);
  }
  tensors.push(...(options.extra ?? []));
  return writeTensors(dst, tensors, { metadata: header.__metadata__, padding: options.padding });
}

export function f32Bytes(values: number[] | Float32Array): Buffer {
  const a = Float32Array.from(values);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

export function u16Bytes(values: number[] | Uint16Array): Buffer {
  const a = Uint16Array.from(values);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
