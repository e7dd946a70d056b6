/**
 * A tiny safetensors reader for tests (fixtures are safetensors files): 8-byte little-endian header
 * length, JSON header { name: { dtype, shape, data_offsets: [begin, end] } }, then the raw data.
 * F32 -> Float32Array, I64 -> BigInt64Array, F16 -> Uint16Array (raw bits).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  data: Float32Array | BigInt64Array | Uint16Array;
}

export type Safetensors = Map<string, SafetensorsEntry>;

const elementBytes: Record<string, number> = { F32: 4, I64: 8, F16: 2 };

export function readSafetensors(path: string): Safetensors {
  const file = readFileSync(path);
  const headerLength = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const base = 8 + headerLength;
  const out: Safetensors = new Map();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = elementBytes[entry.dtype];
    if (!bytes) throw new Error(`${path}: tensor "${name}" has dtype ${entry.dtype}, which this reader does not handle`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * bytes) throw new Error(`${path}: tensor "${name}" has ${end - begin} bytes for shape [${entry.shape}]`);
    // Copy into a fresh, aligned buffer (the file's data offsets need not be aligned).
    const raw = new Uint8Array(end - begin);
    raw.set(file.subarray(base + begin, base + end));
    const data =
      entry.dtype === 'F32' ? new Float32Array(raw.buffer) : entry.dtype === 'I64' ? new BigInt64Array(raw.buffer) : new Uint16Array(raw.buffer);
    out.set(name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return out;
}

/** The named F32 tensor (throws if missing or not F32). */
export function f32(tensors: Safetensors, name: string): Float32Array {
  const entry = tensors.get(name);
  if (!entry || !(entry.data instanceof Float32Array)) throw new Error(`no F32 tensor "${name}"`);
  return entry.data;
}

/** The named I64 tensor (throws if missing or not I64). */
export function i64(tensors: Safetensors, name: string): BigInt64Array {
  const entry = tensors.get(name);
  if (!entry || !(entry.data instanceof BigInt64Array)) throw new Error(`no I64 tensor "${name}"`);
  return entry.data;
}

/** Writes F32 tensors as a safetensors file (for tests that build broken or tiny checkpoints). */
export function writeSafetensors(path: string, tensors: Map<string, { shape: number[]; data: Float32Array }>): void {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts: Uint8Array[] = [head, Buffer.from(json)];
  for (const t of tensors.values()) parts.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  writeFileSync(path, Buffer.concat(parts));
}

/** Same as f32 (the name the attention tests use). */
export const f32Tensor = f32;
