/**
 * Checking an uploaded image without stalling the server: the header's size against the pixel limit first
 * (`--max-image-pixels`; a few bytes read, nothing decoded), then a full decode by sharp on libuv's thread
 * pool (nodes/image/decode.ts, the same reader LoadImage uses), so the event loop keeps answering while a
 * large picture is inflated. An 8192 x 8192 all-zero PNG is 261 KB on the wire and seconds of CPU to decode.
 * A PNG's text chunks are checked by latentflow's own reader (png.ts), which libvips does not do.
 */
import { checkImage, ImageDecodeError } from '../../nodes/image/decode.ts';
import { PngError, readPngText } from '../../nodes/image/png.ts';
import { HttpError } from './errors.ts';

/** Decodes running at once; more wait their turn (each may hold a few hundred MB while it runs). */
const MAX_DECODERS = 2;
let decoders = 0;
const waiting: (() => void)[] = [];

/** Runs `work` (a decode) when fewer than MAX_DECODERS run; the others wait their turn. */
export async function withDecoderSlot<T>(work: () => Promise<T>): Promise<T> {
  while (decoders >= MAX_DECODERS) await new Promise<void>((resolve) => waiting.push(resolve));
  decoders++;
  try {
    return await work();
  } finally {
    decoders--;
    waiting.shift()?.();
  }
}

/**
 * Resolves when `data` is a PNG, JPEG or WebP picture latentflow can read with at most `maxPixels` pixels;
 * otherwise throws an HttpError: 413 `image_too_large` (from the header alone) or 400 `not_an_image`.
 */
export async function checkUploadedImage(data: Uint8Array, maxPixels: number): Promise<{ width: number; height: number }> {
  try {
    const header = await withDecoderSlot(() => checkImage(data, maxPixels));
    // libvips skips a PNG's text chunks; the workflow travels in them (the editor reads it back from a dropped
    // PNG), so they are checked too (no pixels inflated).
    if (header.format === 'png') readPngText(data);
    return { width: header.width, height: header.height };
  } catch (error) {
    if (error instanceof PngError) throw new HttpError(400, 'not_an_image', `the upload is not an image latentflow can read: ${error.message}`);
    if (!(error instanceof ImageDecodeError)) throw error;
    if (error.code === 'image_too_large') throw new HttpError(413, 'image_too_large', error.message, error.details);
    throw new HttpError(400, 'not_an_image', `the upload is not an image latentflow can read: ${error.message}`);
  }
}
