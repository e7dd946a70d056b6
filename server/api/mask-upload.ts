/**
 * ComfyUI's POST /upload/mask (and /api/upload/mask): saves a painted mask as a copy of the picture it was
 * painted on, with the mask as the copy's alpha (nodes/image/put-alpha.ts). The form is ComfyUI's:
 *
 * | field          | meaning                                                                                   |
 * |----------------|-------------------------------------------------------------------------------------------|
 * | `image`        | the mask: a picture whose alpha is 0 where painted (its colours are ignored); its file name names the copy |
 * | `original_ref` | JSON `{"filename", "subfolder"?, "type"?}` of the picture painted on; `type` defaults to "output" as in ComfyUI, and a `name.png [input]` annotation picks the folder too |
 * | `type`, `subfolder`, `overwrite` | where the copy goes, as for /upload/image (default: input, "", a fresh name) |
 *
 * Answers `{ name, subfolder, type }` like /upload/image. Hardened as /upload/image is: the upload and pixel
 * limits (the mask and the original, from their headers, before anything is decoded), every name checked and
 * resolved inside its folder, the copy written without following a symbolic link. Unlike ComfyUI, a missing
 * original is a 404 and a mask of another size a 400 (ComfyUI answers 200 and writes nothing, or fails).
 */
import fs from 'node:fs';
import path from 'node:path';

import { Router } from 'express';

import { ImageDecodeError } from '../../nodes/image/decode.ts';
import { MaskSizeError, putAlpha } from '../../nodes/image/put-alpha.ts';
import { checkFileName, PathError, resolveInside, resolveSubfolder } from '../store/paths.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';
import { readUpload, rootOf, uniqueName, writeNoFollow } from './files.ts';
import { checkUploadedImage, withDecoderSlot } from './image-check.ts';

/** Largest original read (bytes): a 4096x4096 16-bit RGBA PNG stored without compression is 128 MiB. */
const MAX_ORIGINAL_BYTES = 256 * 1024 * 1024;

const ANNOTATION = /^(.*) \[(input|output|temp)\]$/;

interface OriginalRef {
  type: 'input' | 'output' | 'temp';
  subfolder: string;
  filename: string;
}

/** Reads `original_ref` as ComfyUI does (JSON; `type` "output" unless given or annotated); 400 when it is not one. */
export function parseOriginalRef(text: string | undefined): OriginalRef {
  const fix = 'send original_ref as JSON {"filename": "cat.png", "subfolder": "", "type": "input"} naming the picture the mask was painted on';
  if (text === undefined) throw new HttpError(400, 'bad_request', `the upload has no "original_ref" field; ${fix}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad_request', `original_ref is not JSON; ${fix}`);
  }
  const ref = json as Record<string, unknown> | null;
  if (!ref || typeof ref !== 'object' || Array.isArray(ref) || typeof ref.filename !== 'string' || ref.filename === '') {
    throw new HttpError(400, 'bad_request', `original_ref has no "filename"; ${fix}`);
  }
  if (ref.subfolder !== undefined && typeof ref.subfolder !== 'string') throw new HttpError(400, 'bad_request', `original_ref.subfolder must be a string; ${fix}`);
  if (ref.type !== undefined && ref.type !== 'input' && ref.type !== 'output' && ref.type !== 'temp') {
    throw new HttpError(400, 'bad_request', `original_ref.type must be "input", "output" or "temp"; ${fix}`);
  }
  const annotated = ANNOTATION.exec(ref.filename);
  const filename = annotated ? annotated[1] : ref.filename;
  const type = (annotated?.[2] ?? ref.type ?? 'output') as OriginalRef['type'];
  if (filename.startsWith('/')) throw new PathError('original_ref.filename must be relative to its folder, not an absolute path', 'original_ref.filename');
  // A filename with folders in it ("pets/cat.png", as LoadImage's widget holds it) adds them to the subfolder.
  const slash = filename.lastIndexOf('/');
  const subfolder = [ref.subfolder ?? '', slash >= 0 ? filename.slice(0, slash) : ''].filter((s) => s !== '').join('/');
  return { type, subfolder, filename: slash >= 0 ? filename.slice(slash + 1) : filename };
}

export function maskUploadRouter(ctx: ApiContext): Router {
  const router = Router();

  router.post('/upload/mask', async (req, res) => {
    const upload = await readUpload(req, ctx.options.uploadLimitBytes);
    if (!upload.file) throw new HttpError(400, 'bad_request', 'the upload has no "image" file field (the mask, as a PNG whose alpha is 0 where painted)');
    const ref = parseOriginalRef(upload.fields.original_ref);
    const originalDir = resolveSubfolder(rootOf(ctx, ref.type), ref.subfolder, 'original_ref.subfolder');
    checkFileName(ref.filename, 'original_ref.filename');
    const originalFile = resolveInside(originalDir, ref.filename, 'original_ref.filename');
    const stat = fs.statSync(originalFile, { throwIfNoEntry: false });
    if (!stat?.isFile()) throw new HttpError(404, 'not_found', `original_ref names no picture: no file "${ref.filename}" in ${ref.type}${ref.subfolder ? `/${ref.subfolder}` : ''}`);
    if (stat.size > MAX_ORIGINAL_BYTES) throw new HttpError(413, 'too_large', `the original picture is ${stat.size} bytes; masks are saved for pictures of up to ${MAX_ORIGINAL_BYTES} bytes`);

    await checkUploadedImage(upload.file.data, ctx.options.maxImagePixels);
    const original = await fs.promises.readFile(originalFile);
    let png: Buffer;
    try {
      png = await withDecoderSlot(() => putAlpha(original, upload.file!.data, ctx.options.maxImagePixels));
    } catch (error) {
      if (error instanceof MaskSizeError) throw new HttpError(400, 'size_mismatch', error.message, error.details);
      if (error instanceof ImageDecodeError) {
        if (error.code === 'image_too_large') throw new HttpError(413, 'image_too_large', `the original picture: ${error.message}`, error.details);
        throw new HttpError(400, 'not_an_image', `original_ref does not name a picture latentflow can read: ${error.message}`);
      }
      throw error;
    }

    const type = upload.fields.type ?? 'input';
    const subfolder = upload.fields.subfolder ?? '';
    const dir = resolveSubfolder(rootOf(ctx, type), subfolder);
    // The copy is a PNG whatever the mask's file was called.
    let name = path.basename(upload.file.name.replace(/\\/g, '/')).replace(/\.[^.]*$/, '') + '.png';
    checkFileName(name, 'image file name');
    fs.mkdirSync(dir, { recursive: true });
    const overwrite = upload.fields.overwrite === 'true' || upload.fields.overwrite === '1';
    if (!overwrite) name = uniqueName(dir, name);
    writeNoFollow(resolveInside(dir, name, 'image file name'), png, overwrite);
    res.json({ name, subfolder, type });
  });

  return router;
}
