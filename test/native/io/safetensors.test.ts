import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { inspectSafetensors, isNativeError, native, readSafetensorsTensor } from '../../../native/index.ts';
import { f32Bytes, makeTempDir, readHeader, u16Bytes, writeRaw, writeTensors } from './safetensors-files.ts';

const fixtures = path.resolve('test/fixtures/tiny-sd');
const unet32 = path.join(fixtures, 'unet/diffusion_pytorch_model.safetensors');
const unet16 = path.join(fixtures, 'unet/diffusion_pytorch_model.fp16.safetensors');

const tmp = makeTempDir('safetensors');
afterAll(() => tmp.cleanup());

/** Bitwise equality of two typed arrays (fast; toEqual walks elements one by one). */
function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Awaits a rejection and returns the NativeError (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(isNativeError(error)).toBe(true);
    return error as { code: string; message: string };
  }
  throw new Error('expected the promise to reject');
}

describe('safetensors: reading the fixtures', () => {
  it('lists tensors, dtypes, shapes, offsets and metadata exactly as the header says', async () => {
    for (const file of [unet32, unet16]) {
      const info = await inspectSafetensors(file);
      const { header, dataStart } = readHeader(file);
      expect(info.path).toBe(file);
      expect(info.headerBytes).toBe(dataStart - 8);
      expect(info.dataBytes).toBe(fs.statSync(file).size - dataStart);
      expect(info.metadata).toEqual({ format: 'pt' });
      const names = Object.keys(header).filter((k) => k !== '__metadata__');
      expect(info.tensors.map((t) => t.name)).toEqual(names);
      for (const t of info.tensors) {
        const e = header[t.name];
        expect([t.dtype, t.shape, t.dataOffsets]).toEqual([e.dtype, e.shape, e.data_offsets]);
      }
    }
  });

  it.each([
    ['text encoder, every tensor', 'text_encoder/model', 1],
    ['UNet, every 7th tensor', 'unet/diffusion_pytorch_model', 7],
  ])('reads tensors; the fp16 variant is exactly the fp32 weights rounded to f16 (%s)', async (_, base, stride) => {
    const file32 = path.join(fixtures, `${base}.safetensors`);
    const file16 = path.join(fixtures, `${base}.fp16.safetensors`);
    const info32 = await inspectSafetensors(file32);
    const info16 = await inspectSafetensors(file16);
    expect(info16.tensors.map((t) => [t.name, t.shape])).toEqual(info32.tensors.map((t) => [t.name, t.shape]));
    expect(new Set(info32.tensors.map((t) => t.dtype))).toEqual(new Set(['F32']));
    expect(new Set(info16.tensors.map((t) => t.dtype))).toEqual(new Set(['F16']));

    const raw32 = fs.readFileSync(file32);
    const raw16 = fs.readFileSync(file16);
    const at32 = raw32.byteOffset + 8 + info32.headerBytes;
    const at16 = raw16.byteOffset + 8 + info16.headerBytes;
    let elements = 0;
    for (let i = 0; i < info32.tensors.length; i += stride) {
      const t32 = info32.tensors[i];
      const t16 = info16.tensors[i];
      const wide = await readSafetensorsTensor(file32, t32.name);
      const half = await readSafetensorsTensor(file16, t16.name);
      // f32: the engine's values are the file's bytes.
      const bytes32 = new Float32Array(raw32.buffer.slice(at32 + t32.dataOffsets[0], at32 + t32.dataOffsets[1]));
      expect(sameBits(wide, bytes32)).toBe(true);
      // f16: widened exactly (as the independent core converter does) and equal to round(fp32).
      const bits16 = new Uint16Array(raw16.buffer.slice(at16 + t16.dataOffsets[0], at16 + t16.dataOffsets[1]));
      expect(sameBits(half, native.halfToF32(bits16, 'f16'))).toBe(true);
      expect(sameBits(native.f32ToHalf(wide, 'f16'), bits16)).toBe(true);
      elements += wide.length;
    }
    expect(elements).toBeGreaterThan(100_000);
  });

  it('reads F32, F16 and BF16 tensors at unaligned offsets', async () => {
    const values = [1, -2.5, 3.140625, 0.0001220703125, 65504, -0];
    const bf16 = native.f32ToHalf(Float32Array.from(values), 'bf16');
    const f16 = native.f32ToHalf(Float32Array.from(values), 'f16');
    // One I8 byte first, and the header padded so that the data section starts 4-byte aligned:
    // every float tensor after the byte starts at an odd address.
    const tensors = [
      { name: 'pad', dtype: 'I8', shape: [1], bytes: Buffer.from([7]) },
      { name: 'a32', dtype: 'F32', shape: [2, 3], bytes: f32Bytes(values) },
      { name: 'a16', dtype: 'F16', shape: [6], bytes: u16Bytes(f16) },
      { name: 'abf', dtype: 'BF16', shape: [3, 2], bytes: u16Bytes(bf16) },
      { name: 'empty', dtype: 'F32', shape: [0, 4], bytes: Buffer.alloc(0) },
    ];
    const file = path.join(tmp.dir, 'unaligned.safetensors');
    const unpadded = (await inspectSafetensors(writeTensors(file, tensors))).headerBytes;
    writeTensors(file, tensors, { padding: (4 - ((8 + unpadded) % 4)) % 4 });
    const info = await inspectSafetensors(file);
    expect((8 + info.headerBytes) % 4).toBe(0);
    expect(info.tensors.map((t) => t.dataOffsets[0] % 2)).toEqual([0, 1, 1, 1, 1]);
    expect(Array.from(await readSafetensorsTensor(file, 'a32'))).toEqual(values);
    expect(Array.from(await readSafetensorsTensor(file, 'a16'))).toEqual(Array.from(native.halfToF32(f16, 'f16')));
    expect(Array.from(await readSafetensorsTensor(file, 'abf'))).toEqual(Array.from(native.halfToF32(bf16, 'bf16')));
    expect((await readSafetensorsTensor(file, 'empty')).length).toBe(0);
  });

  it('accepts a file without tensors and a header padded with spaces', async () => {
    const file = writeRaw(path.join(tmp.dir, 'none.safetensors'), { __metadata__: { note: 'nothing here' } }, undefined, { padding: 5 });
    const info = await inspectSafetensors(file);
    expect(info.tensors).toEqual([]);
    expect(info.metadata).toEqual({ note: 'nothing here' });
  });

  it('refuses to read a missing tensor or an integer tensor as floats', async () => {
    const file = writeTensors(path.join(tmp.dir, 'ints.safetensors'), [
      { name: 'ids', dtype: 'I64', shape: [2], bytes: Buffer.alloc(16) },
    ]);
    const missing = await rejection(readSafetensorsTensor(file, 'nope'));
    expect(missing.code).toBe('SDN_STATUS_MISSING_TENSOR');
    expect(missing.message).toContain(file);
    expect(missing.message).toContain('has no tensor "nope"');
    const ints = await rejection(readSafetensorsTensor(file, 'ids'));
    expect(ints.code).toBe('SDN_STATUS_BAD_FORMAT');
    expect(ints.message).toMatch(/tensor "ids": dtype I64 cannot be read as floats/);
  });
});

// Each malformed file is built here; every case asserts the code, the file name and the specific problem.
interface BadCase {
  name: string;
  make: (file: string) => string;
  code: 'SDN_STATUS_BAD_FORMAT' | 'SDN_STATUS_IO_ERROR';
  problem: RegExp;
}

const ok = (shape: number[], from: number) => ({ dtype: 'F32', shape, data_offsets: [from, from + 4 * shape.reduce((a, b) => a * b, 1)] });

const badCases: BadCase[] = [
  { name: 'empty file', make: (f) => (fs.writeFileSync(f, ''), f), code: 'SDN_STATUS_BAD_FORMAT', problem: /is empty \(0 bytes\)/ },
  {
    name: 'shorter than the length field',
    make: (f) => (fs.writeFileSync(f, Buffer.from([1, 0, 0])), f),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /truncated: 3 bytes, shorter than the 8-byte header length/,
  },
  {
    name: 'header longer than the file',
    make: (f) => writeRaw(f, { a: ok([1], 0) }, Buffer.alloc(4), { headerLength: 5000n }),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /header length 5000 is longer than the file \(\d+ bytes\)/,
  },
  {
    name: 'absurd header length',
    make: (f) => writeRaw(f, '{}', undefined, { headerLength: 1n << 40n }),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /header length 1099511627776 exceeds the 100 MiB limit/,
  },
  {
    name: 'truncated data (real file cut short)',
    make: (f) => (fs.writeFileSync(f, fs.readFileSync(unet16).subarray(0, fs.statSync(unet16).size - 100)), f),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "[^"]+": bytes \[\d+, \d+\) lie outside the data section of \d+ bytes \(file truncated\?\)/,
  },
  { name: 'bad JSON', make: (f) => writeRaw(f, '{"a": {"dtype": "F32",'), code: 'SDN_STATUS_BAD_FORMAT', problem: /header: invalid JSON at byte \d+/ },
  { name: 'non-object header', make: (f) => writeRaw(f, '[1, 2, 3]'), code: 'SDN_STATUS_BAD_FORMAT', problem: /header is a JSON array, not an object/ },
  {
    name: 'header not UTF-8',
    make: (f) => writeRaw(f, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /header is not valid UTF-8 \(at byte 2/,
  },
  {
    name: 'duplicate tensor name',
    make: (f) => writeRaw(f, `{"a": ${JSON.stringify(ok([1], 0))}, "a": ${JSON.stringify(ok([1], 4))}}`, Buffer.alloc(8)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /duplicate key "a"/,
  },
  {
    name: 'unknown dtype',
    make: (f) => writeRaw(f, { w: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(8)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": unknown dtype "F33"/,
  },
  {
    name: 'shape/byte mismatch',
    make: (f) => writeRaw(f, { w: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 8] } }, Buffer.alloc(8)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": data_offsets span 8 bytes, but shape \[2, 3\] of F16 needs 12/,
  },
  {
    name: 'overlapping tensors',
    make: (f) => writeRaw(f, { a: ok([2], 0), b: ok([2], 4) }, Buffer.alloc(12)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensors "a" and "b" overlap/,
  },
  {
    name: 'range out of bounds',
    make: (f) => writeRaw(f, { a: ok([4], 0) }, Buffer.alloc(8)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "a": bytes \[0, 16\) lie outside the data section of 8 bytes/,
  },
  {
    name: 'hole between tensors',
    make: (f) => writeRaw(f, { a: ok([1], 0), b: ok([1], 8) }, Buffer.alloc(12)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /hole of 4 unused bytes in the data section before tensor "b"/,
  },
  {
    name: 'trailing bytes after the last tensor',
    make: (f) => writeRaw(f, { a: ok([1], 0) }, Buffer.alloc(10)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /6 trailing bytes after the last tensor/,
  },
  {
    name: 'non-string metadata',
    make: (f) => writeRaw(f, { __metadata__: { epochs: 3 } }),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /metadata "epochs" is a number, only strings are allowed/,
  },
  {
    name: 'metadata not an object',
    make: (f) => writeRaw(f, { __metadata__: 'pt' }),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /__metadata__ is a string, it must be an object of strings/,
  },
  {
    name: 'missing data_offsets',
    make: (f) => writeRaw(f, { w: { dtype: 'F32', shape: [1] } }, Buffer.alloc(4)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": "data_offsets" is missing/,
  },
  {
    name: 'negative shape',
    make: (f) => writeRaw(f, { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": shape entries must be non-negative integers \(found -1\)/,
  },
  {
    name: 'fractional shape',
    make: (f) => writeRaw(f, { w: { dtype: 'F32', shape: [2.5], data_offsets: [0, 10] } }, Buffer.alloc(10)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": shape entries must be non-negative integers \(found 2.5\)/,
  },
  {
    name: 'begin > end',
    make: (f) => writeRaw(f, { w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, Buffer.alloc(4)),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": data_offsets \[4, 0\] has begin > end/,
  },
  {
    name: 'entry not an object',
    make: (f) => writeRaw(f, { w: [1, 2] }),
    code: 'SDN_STATUS_BAD_FORMAT',
    problem: /tensor "w": entry is a array, it must be an object/,
  },
  { name: 'a directory', make: (f) => (fs.mkdirSync(f), f), code: 'SDN_STATUS_IO_ERROR', problem: /is a directory, not a file/ },
  { name: 'nonexistent path', make: (f) => f, code: 'SDN_STATUS_IO_ERROR', problem: /cannot open .*: No such file or directory/ },
];

describe('safetensors: malformed files are errors naming the file and the problem', () => {
  it('has at least 12 distinct cases', () => {
    expect(new Set(badCases.map((c) => c.problem.source)).size).toBe(badCases.length);
    expect(badCases.length).toBeGreaterThanOrEqual(12);
  });

  it.each(badCases)('$name', async ({ name, make, code, problem }) => {
    const file = make(path.join(tmp.dir, `${name.replace(/[^a-z0-9]+/gi, '-')}.safetensors`));
    const error = await rejection(inspectSafetensors(file));
    expect(error.code).toBe(code);
    expect(error.message).toContain(`"${file}"`);
    expect(error.message).toMatch(problem);
    // Reading a tensor goes through the same validation.
    const again = await rejection(readSafetensorsTensor(file, 'a'));
    expect(again.code).toBe(code);
  });
});
