/**
 * Checking an uploaded image without stalling the server: the PNG header's size against the pixel limit
 * first (`--max-image-pixels`; a few bytes read, nothing inflated), then a full decode on a worker
 * thread, so the event loop keeps answering while a large picture is inflated and unfiltered. An 8192 x
 * 8192 all-zero PNG is 261 KB on the wire and seconds of CPU to decode.
 */
import { Worker } from 'node:worker_threads';

import { PngError, readPngHeader } from '../../nodes/image/png.ts';
import { HttpError } from './errors.ts';

/** Decodes running at once; more wait their turn (each may hold a few hundred MB while it runs). */
const MAX_DECODERS = 2;
let decoders = 0;
const waiting: (() => void)[] = [];

// Workers do not inherit the TypeScript loader: the worker registers tsx, then loads its module.
const TSX_API = import.meta.resolve('tsx/esm/api');
const WORKER_MODULE = new URL('./image-check-worker.ts', import.meta.url).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_MODULE)}); });`;

type DecodeAnswer = { ok: true; width: number; height: number } | { ok: false; message: string };

function decodeOnWorker(data: Uint8Array): Promise<DecodeAnswer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { data } });
    let answer: DecodeAnswer | undefined;
    worker.once('message', (message: DecodeAnswer) => {
      answer = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (answer ? resolve(answer) : reject(new Error(`the image decoder stopped (exit code ${code}) without an answer`))));
  });
}

async function withDecoderSlot<T>(work: () => Promise<T>): Promise<T> {
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
 * Resolves when `data` is a PNG latentflow can read with at most `maxPixels` pixels; otherwise throws
 * an HttpError: 413 `image_too_large` (from the header alone) or 400 `not_an_image`.
 */
export async function checkUploadedPng(data: Uint8Array, maxPixels: number): Promise<{ width: number; height: number }> {
  let header;
  try {
    header = readPngHeader(data);
  } catch (error) {
    if (error instanceof PngError) throw new HttpError(400, 'not_an_image', `the upload is not a PNG image latentflow can read: ${error.message}`);
    throw error;
  }
  if (header.width * header.height > maxPixels) {
    throw new HttpError(
      413,
      'image_too_large',
      `the image is ${header.width}x${header.height} (${header.width * header.height} pixels); this server takes images of up to ${maxPixels} pixels (--max-image-pixels)`,
      { width: header.width, height: header.height, maxPixels },
    );
  }
  const answer = await withDecoderSlot(() => decodeOnWorker(data));
  if (!answer.ok) throw new HttpError(400, 'not_an_image', `the upload is not a PNG image latentflow can read: ${answer.message}`);
  return { width: answer.width, height: answer.height };
}
