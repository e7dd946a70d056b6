import zlib from 'node:zlib';

import { describe, expect, it } from 'vitest';

import { checkUploadedImage } from '../../../server/api/image-check.ts';
import { HttpError } from '../../../server/api/errors.ts';
import { encodePng } from '../../../nodes/image/png.ts';

async function refusal(data: Uint8Array, maxPixels: number): Promise<HttpError> {
  try {
    await checkUploadedImage(data, maxPixels);
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('the image was accepted');
}

describe('checkUploadedImage', () => {
  it('decodes a readable PNG (sharp, off the event loop) and gives its size', async () => {
    expect(await checkUploadedImage(encodePng({ width: 5, height: 3, channels: 4, data: new Uint8Array(60) }), 100)).toEqual({ width: 5, height: 3 });
  });

  it('refuses a picture over the pixel limit from its header: 413 image_too_large', async () => {
    const error = await refusal(encodePng({ width: 11, height: 10, channels: 1, data: new Uint8Array(110) }), 100);
    expect(error).toMatchObject({ status: 413, code: 'image_too_large', details: { width: 11, height: 10, maxPixels: 100 } });
  });

  it('refuses what is not a PNG, and a PNG whose data is corrupt (found by the decode): 400 not_an_image', async () => {
    expect(await refusal(Buffer.from('GIF89a'), 100)).toMatchObject({ status: 400, code: 'not_an_image' });
    const png = Buffer.from(encodePng({ width: 4, height: 4, channels: 3, data: new Uint8Array(48) }));
    const idat = png.indexOf('IDAT');
    png[idat + 6] ^= 0xff; // corrupt the zlib stream, then fix the chunk's CRC so only the data is wrong
    const length = png.readUInt32BE(idat - 4);
    png.writeUInt32BE(zlib.crc32(png.subarray(idat, idat + 4 + length)), idat + 4 + length);
    const error = await refusal(png, 100);
    expect(error).toMatchObject({ status: 400, code: 'not_an_image' });
    expect(error.message).toMatch(/the png picture cannot be decoded/);
  });
});
