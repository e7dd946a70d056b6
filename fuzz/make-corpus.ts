/**
 * Writes the seed corpora under fuzz/corpus/<target>/ (committed; rerun after changing this file):
 *   node --import tsx fuzz/make-corpus.ts
 * Seeds are small valid inputs plus a few near-misses, so mutation starts next to the code's branches.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { encodePng } from '../nodes/image/png.ts';

const root = path.resolve(import.meta.dirname, 'corpus');
const fixture = path.resolve(import.meta.dirname, '../test/fixtures/tiny-sd/tiny-sd.safetensors');

function put(target: string, name: string, bytes: Buffer | string): void {
  const dir = path.join(root, target);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, name), bytes);
}

// ---- safetensors: whole files --------------------------------------------------------------------
function safetensors(header: object | string, data: Buffer = Buffer.alloc(0), pad = 0): Buffer {
  const body = Buffer.from((typeof header === 'string' ? header : JSON.stringify(header)) + ' '.repeat(pad));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(body.length));
  return Buffer.concat([length, body, data]);
}
const f32 = (...v: number[]) => Buffer.from(Float32Array.from(v).buffer);
put('safetensors', 'empty-header', safetensors({}));
put('safetensors', 'one-f32', safetensors({ w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] } }, f32(1, 2, 3, 4)));
put(
  'safetensors',
  'mixed-dtypes-metadata',
  safetensors(
    {
      __metadata__: { format: 'pt' },
      a: { dtype: 'F16', shape: [3], data_offsets: [0, 6] },
      b: { dtype: 'BF16', shape: [1, 2], data_offsets: [6, 10] },
      ids: { dtype: 'I64', shape: [1], data_offsets: [10, 18] },
      z: { dtype: 'F32', shape: [0, 4], data_offsets: [18, 18] },
    },
    Buffer.from([0, 60, 0, 64, 0, 66, 128, 63, 0, 64, 7, 0, 0, 0, 0, 0, 0, 0]),
    3,
  ),
);
put('safetensors', 'overlap', safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, Buffer.alloc(12)));
put('safetensors', 'bad-utf8', Buffer.concat([Buffer.from([7, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])]));
{
  // The first 40 tensors of the tiny fixture, repacked: real names, shapes and f16 bytes.
  const all = fs.readFileSync(fixture);
  const n = Number(all.readBigUInt64LE(0));
  const header = JSON.parse(all.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const out: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, e] of Object.entries(header).filter(([k]) => k !== '__metadata__').slice(0, 40)) {
    const bytes = all.subarray(8 + n + e.data_offsets[0], 8 + n + e.data_offsets[1]);
    if (offset + bytes.length > 16 << 10) break;
    out[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  put('safetensors', 'tiny-sd-slice', safetensors(out, Buffer.concat(parts)));
}

// ---- checkpoint_single_file: tensor list text (+ configurations) --------------------------------------
{
  const all = fs.readFileSync(fixture);
  const n = Number(all.readBigUInt64LE(0));
  const header = JSON.parse(all.subarray(8, 8 + n).toString()) as Record<string, { dtype: string; shape: number[] }>;
  const lines = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]) => `${name} ${e.dtype}${e.shape.length ? ` ${e.shape.join(',')}` : ''}`);
  const tensors = lines.join('\n') + '\n';
  put('checkpoint_single_file', 'tiny-sd', tensors);
  // The same network with every width divisible by 4 divided by 4 (kernel sizes stay): still a
  // consistent SD 1.x layout for the loader (c0 = 8, 8 heads, CLIP hidden 8 -> 4 heads) with 1/16 of the
  // data, so the fuzzer runs many times faster from it.
  const quarter = Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, e]) => `${name} ${e.dtype}${e.shape.length ? ` ${e.shape.map((d) => (d % 4 === 0 ? d / 4 : d)).join(',')}` : ''}`);
  put('checkpoint_single_file', 'tiny-sd-quarter', quarter.join('\n') + '\n');
  put('checkpoint_single_file', 'tiny-sd-json-f32', `${tensors}%%json\n${JSON.stringify({ unet: { attention_head_dim: 4 }, text_encoder: { num_attention_heads: 4 }, vae: { scaling_factor: 0.2 }, scheduler: { _class_name: 'DDIMScheduler' } })}\n%%f32\n`);
  put('checkpoint_single_file', 'diffusers-names', 'down_blocks.0.resnets.0.conv1.weight F16 32,32,3,3\ntext_model.embeddings.token_embedding.weight F16 10,32\n');
}

// ---- png --------------------------------------------------------------------------------------------
function chunk(type: string, body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  const typed = Buffer.concat([Buffer.from(type, 'latin1'), body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(typed));
  return Buffer.concat([len, typed, crc]);
}
const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function ihdr(w: number, h: number, depth: number, color: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(w, 0);
  b.writeUInt32BE(h, 4);
  b[8] = depth;
  b[9] = color;
  return chunk('IHDR', b);
}
const pixels = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) & 0xff);
const workflow = JSON.stringify({ version: 1, name: 'café', nodes: [{ id: '1', type: 'SaveImage', position: { x: 0, y: 0 }, widgets: {} }], edges: [] });
put('png', 'rgb-workflow.png', encodePng({ width: 4, height: 3, channels: 3, data: pixels(36) }, { prompt: '{"1":{"class_type":"SaveImage","inputs":{}}}', workflow }));
put('png', 'gray.png', encodePng({ width: 5, height: 2, channels: 1, data: pixels(10) }));
put('png', 'rgba.png', encodePng({ width: 3, height: 3, channels: 4, data: pixels(36) }, { Comment: 'x' }));
{
  // Palette with tRNS, 2-bit.
  const raw = Buffer.from([0, 0b00011011, 0, 0b11100100]);
  put('png', 'palette-2bit.png', Buffer.concat([SIG, ihdr(4, 2, 2, 3), chunk('PLTE', Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])), chunk('tRNS', Buffer.from([0, 128])), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
  // 16-bit gray+alpha with zTXt and compressed iTXt.
  const raw16 = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 10, 11, 12, 13, 14, 15, 16]);
  const ztxt = Buffer.concat([Buffer.from('prompt\0\0', 'latin1'), zlib.deflateSync(Buffer.from('{"a":1}'))]);
  const itxt = Buffer.concat([Buffer.from('workflow\0\x01\0en\0\0', 'latin1'), zlib.deflateSync(Buffer.from(workflow))]);
  put('png', 'gray-alpha-16-ztxt.png', Buffer.concat([SIG, ihdr(2, 2, 16, 4), chunk('zTXt', ztxt), chunk('iTXt', itxt), chunk('IDAT', zlib.deflateSync(raw16)), chunk('IEND', Buffer.alloc(0))]));
}
{
  // Regressions found by fuzz/png.ts: compressed text chunks whose zlib data is corrupt made both
  // readers throw zlib's own Error (a 500 on /upload/image) instead of PngError / PngTextError.
  const image = encodePng({ width: 2, height: 2, channels: 3, data: pixels(12) });
  const iend = image.length - 12;
  const bad = flipLast(zlib.deflateSync(Buffer.from('{"1":{}}')));
  put('png', 'regression-ztxt-corrupt-zlib.png', Buffer.concat([image.subarray(0, iend), chunk('zTXt', Buffer.concat([Buffer.from('prompt\0\0', 'latin1'), bad])), image.subarray(iend)]));
  put('png', 'regression-itxt-corrupt-zlib.png', Buffer.concat([image.subarray(0, iend), chunk('iTXt', Buffer.concat([Buffer.from('workflow\0\x01\0\0\0', 'latin1'), Buffer.from([0x78, 0x9c, 0xff, 0xff])])), image.subarray(iend)]));
}
function flipLast(b: Buffer): Buffer {
  const out = Buffer.from(b);
  out[out.length - 1] ^= 0xff; // breaks the adler32 check
  return out;
}
console.log(`seed corpora written under ${root}`);
