/**
 * A tiny safetensors reader for tests: 8-byte little-endian header length, a JSON header
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? }`, then the raw little-endian
 * data (offsets relative to the end of the header). F32 tensors come back as Float32Array, I64 as
 * BigInt64Array (copies, so they are aligned whatever the offsets).
 */
import { readFileSync } from 'node:fs';

export interface SafetensorsTensor {
  dtype: 'F32' | 'I64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

const elementBytes: Record<string, number> = { F32: 4, I64: 8 };

export function readSafetensors(path: string): Map<string, SafetensorsTensor> {
  const file = readFileSync(path);
  if (file.length < 8) throw new Error(`${path}: too short for a safetensors file`);
  const headerLength = Number(file.readBigUInt64LE(0));
  if (8 + headerLength > file.length) throw new Error(`${path}: header length ${headerLength} runs past the file`);
  const header = JSON.parse(file.subarray(8, 8 + headerLength).toString('utf8')) as Record<string, HeaderEntry>;
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const size = elementBytes[entry.dtype];
    if (size === undefined) throw new Error(`${path}: tensor "${name}" has dtype ${entry.dtype}; only F32 and I64 are read`);
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * size || dataStart + end > file.length)
      throw new Error(`${path}: tensor "${name}" byte range [${begin}, ${end}) does not fit shape [${entry.shape}]`);
    const bytes = new Uint8Array(file.subarray(dataStart + begin, dataStart + end)); // aligned copy
    const data = entry.dtype === 'F32' ? new Float32Array(bytes.buffer, 0, count) : new BigInt64Array(bytes.buffer, 0, count);
    tensors.set(name, { dtype: entry.dtype as 'F32' | 'I64', shape: entry.shape, data });
  }
  return tensors;
}

/** The F32 tensor `name`, or an error naming the file and the tensors it has. */
export function f32Tensor(tensors: Map<string, SafetensorsTensor>, name: string): Float32Array {
  const tensor = tensors.get(name);
  if (!tensor) throw new Error(`no tensor "${name}" (have: ${[...tensors.keys()].join(', ')})`);
  if (!(tensor.data instanceof Float32Array)) throw new Error(`tensor "${name}" is ${tensor.dtype}, not F32`);
  return tensor.data;
}
