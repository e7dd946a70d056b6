/**
 * A mask saved as a picture's alpha, as ComfyUI's POST /upload/mask does it (server.py: the original converted
 * to RGBA, `putalpha` of the uploaded mask's alpha channel, saved as PNG with the original's text chunks).
 * ComfyUI's mask editor uploads a picture whose alpha is 0 where the user painted and 255 elsewhere, so
 * LoadImage's MASK (1 - alpha) is 1 on the painted part.
 *
 * Both pictures are read with EXIF orientation applied (the browser paints on the picture as it shows it, and
 * LoadImage reads it oriented), the colours as 8-bit sRGB; the result has no EXIF, so it reads the same
 * everywhere. Pixel limits are checked from the headers before anything is decoded; the decodes and the
 * encode run on libuv's thread pool.
 *
 * @example
 *   const png = await putAlpha(await fs.promises.readFile('input/cat.png'), maskUpload, 4096 * 4096);
 */
import sharp from 'sharp';

import { ImageDecodeError, readImageHeader } from './decode.ts';
import { readPngText, withPngText } from './png.ts';

/** The mask's size differs from the picture's; the message names both. */
export class MaskSizeError extends Error {
  override name = 'MaskSizeError';
  constructor(
    message: string,
    readonly details: { maskWidth: number; maskHeight: number; width: number; height: number },
  ) {
    super(message);
  }
}

/** 8-bit samples, `channels` per pixel (3 RGB or 4 RGBA; 1 or 2 for gray, should libvips keep it), oriented. */
interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: number;
}

/** The zlib level ComfyUI saves masked pictures with (PIL's compress_level=4): quick, still small. */
const COMPRESSION_LEVEL = 4;

async function decodePixels(data: Uint8Array, maxPixels: number, what: string): Promise<Pixels> {
  const header = await readImageHeader(data, maxPixels);
  try {
    const { data: pixels, info } = await sharp(data, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .autoOrient()
      .toColourspace('srgb') // 16-bit samples scaled to 8 bits, not clipped
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels < 1 || info.channels > 4) throw new Error(`${info.channels} channels`);
    return { data: pixels, width: info.width, height: info.height, channels: info.channels };
  } catch (error) {
    throw new ImageDecodeError(`the ${what} (${header.format}) cannot be decoded (${(error as Error).message})`, 'not_an_image');
  }
}

/**
 * `original`'s colours with `alphaSource`'s alpha (255 where it has none), as a PNG carrying `original`'s text
 * chunks when it is a PNG. Both must have the same size once oriented.
 * Throws ImageDecodeError (not a picture, over `maxPixels`) or MaskSizeError.
 */
export async function putAlpha(original: Uint8Array, alphaSource: Uint8Array, maxPixels: number): Promise<Buffer> {
  const picture = await decodePixels(original, maxPixels, 'original picture');
  const mask = await decodePixels(alphaSource, maxPixels, 'mask');
  const { width, height } = picture;
  if (mask.width !== width || mask.height !== height) {
    throw new MaskSizeError(
      `the mask is ${mask.width}x${mask.height} but the picture it belongs to is ${width}x${height}; paint the mask on that picture, at its size`,
      { maskWidth: mask.width, maskHeight: mask.height, width, height },
    );
  }
  // PIL's convert('RGBA') then putalpha: gray spreads to R, G and B; the mask's alpha is its last channel when
  // it has one (gray + alpha, RGBA), else 255 (opaque: nothing masked).
  const rgba = Buffer.alloc(width * height * 4);
  const pc = picture.channels;
  const mc = mask.channels;
  const maskHasAlpha = mc === 2 || mc === 4;
  for (let i = 0; i < width * height; i++) {
    const p = i * pc;
    const o = i * 4;
    if (pc >= 3) {
      rgba[o] = picture.data[p];
      rgba[o + 1] = picture.data[p + 1];
      rgba[o + 2] = picture.data[p + 2];
    } else {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = picture.data[p];
    }
    rgba[o + 3] = maskHasAlpha ? mask.data[i * mc + mc - 1] : 255;
  }
  const png = await sharp(rgba, { raw: { width, height, channels: 4 } }).png({ compressionLevel: COMPRESSION_LEVEL }).toBuffer();
  const text = isPng(original) ? readPngText(original) : {};
  return Object.keys(text).length > 0 ? withPngText(png, text) : png;
}

function isPng(data: Uint8Array): boolean {
  return data.length >= 8 && data[0] === 0x89 && data[1] === 0x50 && data[2] === 0x4e && data[3] === 0x47;
}
