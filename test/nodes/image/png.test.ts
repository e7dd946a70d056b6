import zlib from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { decodePng, encodePng, PngError, readPngText, withPngText } from '../../../nodes/image/png.ts';

function gradient(width: number, height: number, channels: 1 | 2 | 3 | 4) {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i >> 5)) & 0xff;
  return { width, height, channels, data };
}

describe('png', () => {
  it.each([1, 2, 3, 4] as const)('round-trips %i-channel pixels exactly', (channels) => {
    const image = gradient(13, 7, channels);
    const decoded = decodePng(encodePng(image));
    expect(decoded.width).toBe(13);
    expect(decoded.height).toBe(7);
    expect(decoded.channels).toBe(channels);
    expect(Buffer.from(decoded.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it('adds text chunks to a finished PNG without touching its pixels', () => {
    const image = gradient(5, 3, 4);
    const png = withPngText(encodePng(image, { prompt: 'kept' }), { workflow: '{"name":"猫"}' });
    expect(readPngText(png)).toEqual({ workflow: '{"name":"猫"}', prompt: 'kept' });
    expect(Buffer.from(decodePng(png).data).equals(Buffer.from(image.data))).toBe(true);
    expect(() => withPngText(Buffer.from('not a png'), { a: 'b' })).toThrow(PngError);
  });

  it('embeds and reads back text chunks (ComfyUI\'s "prompt" and "workflow"), unicode included', () => {
    const prompt = JSON.stringify({ '3': { class_type: 'KSampler', inputs: { seed: 42 } } });
    const workflow = JSON.stringify({ name: 'café ☕ 猫', nodes: [] });
    const png = encodePng(gradient(4, 4, 3), { prompt, workflow });
    expect(readPngText(png)).toEqual({ prompt, workflow });
    expect(decodePng(png).text.workflow).toBe(workflow);
  });

  it('decodes every row filter (a PNG written with sub/avg/paeth rows)', () => {
    // Build a 3x3 RGB image whose rows use filters 1 (sub), 3 (average) and 4 (paeth) by hand.
    const pixels = [10, 20, 30, 40, 50, 60, 70, 80, 90, 15, 25, 35, 45, 55, 65, 75, 85, 95, 5, 6, 7, 8, 9, 10, 11, 12, 13];
    const stride = 9;
    const raw: number[] = [];
    const at = (y: number, x: number) => (x < 0 || y < 0 ? 0 : pixels[y * stride + x]);
    const filters = [1, 3, 4];
    for (let y = 0; y < 3; y++) {
      raw.push(filters[y]);
      for (let x = 0; x < stride; x++) {
        const a = at(y, x - 3), b = at(y - 1, x), c = at(y - 1, x - 3);
        const p = a + b - c;
        const pred = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filters[y]];
        raw.push((at(y, x) - pred) & 0xff);
      }
    }
    const base = encodePng({ width: 3, height: 3, channels: 3, data: new Uint8Array(pixels) });
    // Replace the IDAT of a valid file by re-encoding with our hand-filtered rows.
    const idat = zlib.deflateSync(Buffer.from(raw));
    const ihdr = base.subarray(8, 8 + 25);
    const crcChunk = (type: string, body: Buffer) => {
      const withType = Buffer.concat([Buffer.from(type), body]);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length);
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32 ? zlib.crc32(withType) : 0);
      return Buffer.concat([len, withType, crc]);
    };
    const png = Buffer.concat([base.subarray(0, 8), ihdr, crcChunk('IDAT', idat), crcChunk('IEND', Buffer.alloc(0))]);
    expect(Array.from(decodePng(png).data)).toEqual(pixels);
  });

  it('rejects what it cannot read with a PngError that says why', () => {
    const good = encodePng(gradient(4, 4, 3));
    expect(() => decodePng(Buffer.from('GIF89a not a png'))).toThrow(PngError);
    expect(() => decodePng(good.subarray(0, good.length - 20))).toThrow(/truncated|CRC/);
    const corrupt = Buffer.from(good);
    corrupt[corrupt.indexOf('IDAT') + 6] ^= 0xff; // a byte of the compressed pixels
    expect(() => decodePng(corrupt)).toThrow(/CRC|corrupt/);
    expect(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(5) })).toThrow(/needs 12/);
  });

  it('reports corrupt compressed text chunks as PngError naming the chunk (fuzz regression: zlib errors escaped, a 500 on upload)', () => {
    const good = encodePng(gradient(2, 2, 3));
    const iend = good.length - 12;
    const chunk = (type: string, body: Buffer) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(body.length);
      head.write(type, 4, 'latin1');
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), body])));
      return Buffer.concat([head, body, crc]);
    };
    const corrupt = Buffer.from([0x78, 0x9c, 0xff, 0xff]);
    for (const [type, body] of [
      ['zTXt', Buffer.concat([Buffer.from('prompt\0\0', 'latin1'), corrupt])],
      ['iTXt', Buffer.concat([Buffer.from('workflow\0\x01\0\0\0', 'latin1'), corrupt])],
    ] as const) {
      const png = Buffer.concat([good.subarray(0, iend), chunk(type, body), good.subarray(iend)]);
      expect(() => readPngText(png)).toThrow(PngError);
      expect(() => decodePng(png)).toThrow(new RegExp(`compressed ${type} chunk "\\w+" cannot be inflated`));
    }
  });

  it('refuses decompression bombs by the declared size before inflating', () => {
    const png = Buffer.from(encodePng(gradient(2, 2, 3)));
    // Patch IHDR to claim 100000 x 100000 pixels and fix its CRC.
    png.writeUInt32BE(100000, 16);
    png.writeUInt32BE(100000, 20);
    png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
    expect(() => decodePng(png)).toThrow(/pixel limit/);
  });
});
