// A minimal safetensors reader for the test fixtures (not the engine's reader: that one lives in native/).
// Layout: 8-byte little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets}}, raw LE data.
import { readFileSync } from 'node:fs';

export interface FixtureTensor {
  dtype: 'F32' | 'I64';
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Reads every F32 / I64 tensor of a safetensors file; other dtypes are an error naming the tensor. */
export function readSafetensors(path: string): Map<string, FixtureTensor> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, FixtureTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    // Copy into a fresh, aligned buffer so typed arrays can view it.
    const raw = new Uint8Array(bytes.subarray(dataStart + begin, dataStart + end)).buffer;
    if (entry.dtype === 'F32') tensors.set(name, { dtype: 'F32', shape: entry.shape, data: new Float32Array(raw) });
    else if (entry.dtype === 'I64') tensors.set(name, { dtype: 'I64', shape: entry.shape, data: new BigInt64Array(raw) });
    else throw new Error(`${path}: tensor "${name}" has dtype ${entry.dtype}; this test reader handles F32 and I64 only.`);
  }
  return tensors;
}

