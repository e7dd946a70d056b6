/**
 * The worker thread of image-check.ts: decodes one uploaded PNG and answers whether latentflow can read
 * it (`{ ok: true, width, height }`, or `{ ok: false, message }` for a PngError). The pixels stay here.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { decodePng, PngError } from '../../nodes/image/png.ts';

const { data } = workerData as { data: Uint8Array };
try {
  const image = decodePng(data);
  parentPort!.postMessage({ ok: true, width: image.width, height: image.height });
} catch (error) {
  if (!(error instanceof PngError)) throw error; // a fault of ours: the worker's 'error' event
  parentPort!.postMessage({ ok: false, message: error.message });
}
