// Reading pictures with sharp (test/fixtures/image-ops/files, written by scripts/reference/make_image_files.py).
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { decodeImage, decodeImageChannel, ImageDecodeError, readImageHeader } from '../../../nodes/image/decode.ts';
import { encodePng } from '../../../nodes/image/png.ts';

const file = (name: string) => fs.readFileSync(path.resolve('test/fixtures/image-ops/files', name));

describe('decodeImage', () => {
  it('keeps all 16 bits of a 16-bit RGB PNG (v / 65535) and gives the 64x64 zero mask without alpha', async () => {
    const { image, mask, header } = await decodeImage(file('rgb16.png'));
    expect(header).toMatchObject({ format: 'png', width: 3, height: 2, bitsPerSample: 16, hasAlpha: false });
    expect(image.shape).toEqual([1, 2, 3, 3]);
    const expected = [1000, 0, 60000, 65535, 32768, 1, 5, 50000, 40000, 0, 65535, 0, 123, 456, 789, 30000, 20000, 10000].map((v) => v / 65535);
    for (let i = 0; i < expected.length; i++) expect(image.data[i]).toBeCloseTo(expected[i], 7);
    expect(mask.shape).toEqual([1, 64, 64]);
    expect(mask.data.every((v) => v === 0)).toBe(true);
  });

  it('reads 16-bit gray as grey RGB', async () => {
    const { image } = await decodeImage(file('gray16.png'));
    expect(image.shape).toEqual([1, 2, 3, 3]);
    for (let i = 0; i < 6; i++) for (let c = 0; c < 3; c++) expect(image.data[i * 3 + c]).toBeCloseTo((i * 10000) / 65535, 7);
  });

  it('applies EXIF orientation 6: a stored 4x2 JPEG (red left, blue right) is 2x4, red on top', async () => {
    const { image } = await decodeImage(file('oriented.jpg'));
    expect(image.shape).toEqual([1, 4, 2, 3]);
    const pixel = (y: number, x: number) => Array.from(image.data.subarray((y * 2 + x) * 3, (y * 2 + x) * 3 + 3));
    for (const x of [0, 1]) {
      expect(pixel(0, x)[0]).toBeGreaterThan(0.9);
      expect(pixel(0, x)[2]).toBeLessThan(0.1);
      expect(pixel(3, x)[2]).toBeGreaterThan(0.9);
      expect(pixel(3, x)[0]).toBeLessThan(0.1);
    }
  });

  it('gives MASK = 1 - alpha from a WebP with alpha, colours exact (lossless)', async () => {
    const { image, mask } = await decodeImage(file('alpha.webp'));
    expect(image.shape).toEqual([1, 3, 4, 3]);
    expect(mask.shape).toEqual([1, 3, 4]);
    expect(Array.from(mask.data).map((v) => Math.round(v * 255))).toEqual([0, 0, 0, 0, 255, 255, 255, 255, 127, 127, 127, 127]);
    expect(Array.from(image.data.subarray(0, 6)).map((v) => Math.round(v * 255))).toEqual([200, 0, 10, 200, 50, 10]);
  });

  it('LoadImageMask channels: a colour as stored, alpha as 1 - a; alpha of a picture without one is zeros of its size', async () => {
    const green = await decodeImageChannel(file('alpha.webp'), 'green');
    expect(Array.from(green.data.subarray(0, 4)).map((v) => Math.round(v * 255))).toEqual([0, 50, 100, 150]);
    const none = await decodeImageChannel(file('rgb16.png'), 'alpha');
    expect(none.shape).toEqual([1, 2, 3]);
    expect(none.data.every((v) => v === 0)).toBe(true);
  });

  it('refuses a picture over the pixel limit from its header alone, naming the limit', async () => {
    const png = encodePng({ width: 300, height: 200, channels: 3, data: new Uint8Array(300 * 200 * 3) });
    const error = await decodeImage(png, 59_999).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect(error).toMatchObject({ code: 'image_too_large', details: { width: 300, height: 200, maxPixels: 59_999 } });
    expect((error as Error).message).toMatch(/--max-image-pixels/);
    expect((await readImageHeader(png, 60_000)).width).toBe(300);
  });

  it('refuses what is not a picture it reads, saying so', async () => {
    await expect(decodeImage(Buffer.from('not a picture at all'))).rejects.toMatchObject({ code: 'not_an_image' });
    const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
    await expect(decodeImage(gif)).rejects.toThrow(/gif file; latentflow reads png, jpeg, webp/);
  });
});
