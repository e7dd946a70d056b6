/**
 * Reading picture files (PNG 8/16-bit, JPEG, WebP) with sharp (libvips; its binary ships in the npm package):
 * the header first, so an oversized picture is refused before a pixel is decoded (`--max-image-pixels`), then
 * the decode on libuv's thread pool, so the event loop keeps answering. EXIF orientation is applied.
 *
 * What LoadImage gives, as ComfyUI's does: IMAGE [1, H, W, 3] in [0, 1] and MASK [1, H, W] = 1 - alpha (the
 * painted-out part of a picture is 1), or an all-zero 64x64 MASK when the file has no alpha.
 */
import sharp, { type Metadata, type OutputInfo } from 'sharp';

import type { ImageValue, MaskValue } from '../socket-values.ts';

/** The formats LoadImage reads (sharp's names). */
export const READABLE_FORMATS = ['png', 'jpeg', 'webp'] as const;
/** File endings of those formats (the input folder listing). */
export const READABLE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;
/** Pixels of the largest picture read when the host sets no limit (the server's --max-image-pixels default). */
export const DEFAULT_MAX_IMAGE_PIXELS = 4096 * 4096;

declare module '../schema.ts' {
  interface HostServices {
    /** The largest picture (width x height) nodes read (the server's --max-image-pixels). */
    maxImagePixels?: number;
  }
}

/** A file that is not a picture latentflow reads, or too large: the message says which and what to do. */
export class ImageDecodeError extends Error {
  constructor(
    message: string,
    readonly code: 'not_an_image' | 'image_too_large',
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ImageDecodeError';
  }
}

export interface ImageHeader {
  format: (typeof READABLE_FORMATS)[number];
  /** Sides as stored (before EXIF orientation). */
  width: number;
  height: number;
  bitsPerSample: 8 | 16;
  hasAlpha: boolean;
}

/** Reads and checks the header only (a few bytes; nothing is decoded). */
export async function readImageHeader(data: Uint8Array, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<ImageHeader> {
  let meta: Metadata;
  try {
    meta = await sharp(data, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImageDecodeError(`not a PNG, JPEG or WebP picture (${(error as Error).message})`, 'not_an_image');
  }
  const format = meta.format as string;
  if (!(READABLE_FORMATS as readonly string[]).includes(format)) {
    throw new ImageDecodeError(`a ${format} file; latentflow reads ${READABLE_FORMATS.join(', ')} pictures: convert it to PNG`, 'not_an_image', { format });
  }
  const { width, height } = meta;
  if (!width || !height) throw new ImageDecodeError('the picture header gives no size', 'not_an_image');
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      `the image is ${width}x${height} (${width * height} pixels); this server takes images of up to ${maxPixels} pixels (--max-image-pixels): scale it down first`,
      'image_too_large',
      { width, height, maxPixels },
    );
  }
  return { format: format as ImageHeader['format'], width, height, bitsPerSample: meta.depth === 'ushort' ? 16 : 8, hasAlpha: meta.hasAlpha === true };
}

export interface DecodedImage {
  image: ImageValue;
  mask: MaskValue;
  header: ImageHeader;
}

/** Pixels converted between yields to the event loop (about 10 ms of work). */
const CONVERT_SLICE = 1 << 18;

interface RawPixels {
  header: ImageHeader;
  data: Buffer;
  info: OutputInfo;
}

/** Header check, then the decode on libuv's pool: RGB or RGBA samples, 8 or 16 bits, oriented. */
async function decodeRaw(data: Uint8Array, maxPixels: number): Promise<RawPixels> {
  const header = await readImageHeader(data, maxPixels);
  const wide = header.bitsPerSample === 16;
  try {
    const raw = await sharp(data, { limitInputPixels: maxPixels, failOn: 'error', pages: 1 })
      .autoOrient()
      .toColourspace(wide ? 'rgb16' : 'srgb')
      .raw({ depth: wide ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { header, ...raw };
  } catch (error) {
    throw new ImageDecodeError(`the ${header.format} picture cannot be decoded (${(error as Error).message})`, 'not_an_image');
  }
}

/** Decodes the whole picture and drops the pixels: whether latentflow can read it (an upload's check). */
export async function checkImage(data: Uint8Array, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<ImageHeader> {
  return (await decodeRaw(data, maxPixels)).header;
}

/** Decodes a picture to LoadImage's IMAGE and MASK (header checked first against `maxPixels`). */
export async function decodeImage(data: Uint8Array, maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<DecodedImage> {
  const raw = await decodeRaw(data, maxPixels);
  const header = raw.header;
  const wide = header.bitsPerSample === 16;
  const { width, height, channels } = raw.info;
  const samples = wide ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.length / 2) : raw.data;
  const scale = wide ? 1 / 65535 : 1 / 255;
  const pixels = width * height;
  const rgb = new Float32Array(pixels * 3);
  const m = channels === 4 ? new Float32Array(pixels) : null;
  // The conversion to floats runs here, in slices with a yield between them, so a large picture does not hold
  // the event loop for its whole length (the decode itself ran on libuv's pool).
  for (let start = 0; start < pixels; start += CONVERT_SLICE) {
    if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const end = Math.min(start + CONVERT_SLICE, pixels);
    for (let i = start; i < end; i++) {
      for (let c = 0; c < 3; c++) rgb[i * 3 + c] = samples[i * channels + c] * scale;
      if (m) m[i] = 1 - samples[i * channels + 3] * scale;
    }
  }
  let mask: MaskValue;
  if (m) {
    mask = { data: m, shape: [1, height, width] };
  } else {
    mask = { data: new Float32Array(64 * 64), shape: [1, 64, 64] };
  }
  return { image: { data: rgb, shape: [1, height, width, 3] }, mask, header };
}

/**
 * One channel of a picture as a MASK [1, H, W] (LoadImageMask): red, green or blue as stored (v / max), alpha as
 * 1 - a (ComfyUI converts to RGBA first: gray gives its value in every colour, no alpha gives an all-zero mask of
 * the picture's size).
 */
export async function decodeImageChannel(data: Uint8Array, channel: 'alpha' | 'red' | 'green' | 'blue', maxPixels = DEFAULT_MAX_IMAGE_PIXELS): Promise<MaskValue> {
  const decoded = await decodeImage(data, maxPixels);
  const [, height, width] = decoded.image.shape;
  if (channel === 'alpha') return decoded.header.hasAlpha ? decoded.mask : { data: new Float32Array(height * width), shape: [1, height, width] };
  const c = { red: 0, green: 1, blue: 2 }[channel];
  const out = new Float32Array(height * width);
  for (let i = 0; i < out.length; i++) out[i] = decoded.image.data[i * 3 + c];
  return { data: out, shape: [1, height, width] };
}
