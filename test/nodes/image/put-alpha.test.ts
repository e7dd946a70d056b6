import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

import { decodeImage, ImageDecodeError } from '../../../nodes/image/decode.ts';
import { encodePng, readPngText } from '../../../nodes/image/png.ts';
import { MaskSizeError, putAlpha } from '../../../nodes/image/put-alpha.ts';

const LIMIT = 4096 * 4096;

/** width x height pixels, `channels` each, sample i = (i * 37 + 11) mod 256. */
function pixels(width: number, height: number, channels: 1 | 2 | 3 | 4): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 0xff;
  return data;
}

/** A mask as ComfyUI's editor uploads it: RGBA, colour 0, alpha 0 inside the rectangle [x0, x1) x [y0, y1), 255 elsewhere. */
function maskPng(width: number, height: number, x0: number, y0: number, x1: number, y1: number): Buffer {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[(y * width + x) * 4 + 3] = x >= x0 && x < x1 && y >= y0 && y < y1 ? 0 : 255;
  return encodePng({ width, height, channels: 4, data });
}

async function raw(png: Uint8Array) {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

describe('putAlpha', () => {
  it("keeps the original's colours and text chunks and takes the mask's alpha (ComfyUI's upload_mask)", async () => {
    const rgb = pixels(7, 5, 3);
    const original = encodePng({ width: 7, height: 5, channels: 3, data: rgb }, { workflow: '{"nodes":[]}', prompt: '{}' });
    const out = await putAlpha(original, maskPng(7, 5, 2, 1, 5, 4), LIMIT);
    const got = await raw(out);
    expect([got.width, got.height, got.channels]).toEqual([7, 5, 4]);
    for (let y = 0; y < 5; y++) {
      for (let x = 0; x < 7; x++) {
        const i = y * 7 + x;
        expect([...got.data.subarray(i * 4, i * 4 + 3)]).toEqual([...rgb.subarray(i * 3, i * 3 + 3)]);
        expect(got.data[i * 4 + 3]).toBe(x >= 2 && x < 5 && y >= 1 && y < 4 ? 0 : 255);
      }
    }
    expect(readPngText(out)).toEqual({ workflow: '{"nodes":[]}', prompt: '{}' });
  });

  it("gives LoadImage a MASK of 1 where painted and 0 elsewhere", async () => {
    const original = encodePng({ width: 6, height: 6, channels: 3, data: pixels(6, 6, 3) });
    const { mask } = await decodeImage(await putAlpha(original, maskPng(6, 6, 0, 0, 3, 6), LIMIT));
    expect(mask.shape).toEqual([1, 6, 6]);
    for (let i = 0; i < 36; i++) expect(mask.data[i]).toBe(i % 6 < 3 ? 1 : 0);
  });

  it('replaces an alpha the original already had, keeps partial alpha, and reads gray originals as RGB', async () => {
    const gray = pixels(4, 3, 2); // gray + alpha
    const original = encodePng({ width: 4, height: 3, channels: 2, data: gray });
    const alpha = new Uint8Array(4 * 3 * 4);
    for (let i = 0; i < 12; i++) alpha[i * 4 + 3] = i * 20;
    const out = await raw(await putAlpha(original, encodePng({ width: 4, height: 3, channels: 4, data: alpha }), LIMIT));
    for (let i = 0; i < 12; i++) {
      expect([...out.data.subarray(i * 4, i * 4 + 4)]).toEqual([gray[i * 2], gray[i * 2], gray[i * 2], i * 20]);
    }
  });

  it('takes a mask without alpha as nothing masked, and scales a 16-bit mask to 8 bits', async () => {
    const original = encodePng({ width: 3, height: 2, channels: 3, data: pixels(3, 2, 3) });
    const opaque = await raw(await putAlpha(original, encodePng({ width: 3, height: 2, channels: 3, data: new Uint8Array(18) }), LIMIT));
    for (let i = 0; i < 6; i++) expect(opaque.data[i * 4 + 3]).toBe(255);

    const wide = new Uint16Array(3 * 2 * 4);
    [0, 65535, 32896, 257, 65535, 0].forEach((a, i) => (wide[i * 4 + 3] = a));
    const mask16 = await sharp(wide, { raw: { width: 3, height: 2, channels: 4 } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect((await sharp(mask16).metadata()).depth).toBe('ushort');
    const got = await raw(await putAlpha(original, mask16, LIMIT));
    expect([0, 1, 2, 3, 4, 5].map((i) => got.data[i * 4 + 3])).toEqual([0, 255, 128, 1, 255, 0]);
  });

  it("reads a JPEG original with its EXIF orientation applied (the painter paints on the picture as shown)", async () => {
    // Stored 8x4, orientation 6 (rotate 90 degrees clockwise to show): shown 4x8.
    const jpeg = await sharp(Buffer.from(pixels(8, 4, 3)), { raw: { width: 8, height: 4, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const out = await putAlpha(jpeg, maskPng(4, 8, 0, 0, 2, 8), LIMIT);
    const got = await raw(out);
    expect([got.width, got.height]).toEqual([4, 8]);
    expect((await sharp(out).metadata()).orientation).toBeUndefined();
    expect(got.data[3]).toBe(0);
    expect(got.data[3 * 4 + 3]).toBe(255);
    await expect(putAlpha(jpeg, maskPng(8, 4, 0, 0, 1, 1), LIMIT)).rejects.toBeInstanceOf(MaskSizeError);
  });

  it('refuses a mask of another size, naming both sizes', async () => {
    const original = encodePng({ width: 4, height: 4, channels: 3, data: pixels(4, 4, 3) });
    const error = await putAlpha(original, maskPng(5, 4, 0, 0, 1, 1), LIMIT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MaskSizeError);
    expect((error as MaskSizeError).details).toEqual({ maskWidth: 5, maskHeight: 4, width: 4, height: 4 });
    expect((error as Error).message).toMatch(/5x4.*4x4/);
  });

  it('refuses pictures over the pixel limit from the header, and files that are not pictures', async () => {
    const big = encodePng({ width: 20, height: 20, channels: 3, data: pixels(20, 20, 3) });
    const tooLarge = await putAlpha(big, maskPng(20, 20, 0, 0, 1, 1), 100).catch((e: unknown) => e);
    expect(tooLarge).toBeInstanceOf(ImageDecodeError);
    expect((tooLarge as ImageDecodeError).code).toBe('image_too_large');
    const notPicture = await putAlpha(Buffer.from('not a picture at all'), maskPng(2, 2, 0, 0, 1, 1), LIMIT).catch((e: unknown) => e);
    expect(notPicture).toBeInstanceOf(ImageDecodeError);
    expect((notPicture as ImageDecodeError).code).toBe('not_an_image');
  });
});
