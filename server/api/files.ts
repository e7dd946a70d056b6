/**
 * Images in and out: ComfyUI's GET /view and POST /upload/image, and our outputs listing.
 * Every client-given name resolves inside its root (server/store/paths.ts); uploads must be PNG, JPEG or
 * WebP images (checked by decoding them off the event loop, not by their name, see image-check.ts) and stay under
 * the upload and pixel limits. A malformed or cut-off upload is a 400, never an unhandled stream error;
 * an upload is written without following a symbolic link, and a full disk is a 507 that leaves no
 * half-written file.
 */
import fs from 'node:fs';
import path from 'node:path';

import Busboy from 'busboy';
import { type Request, Router } from 'express';

import { checkFileName, PathError, resolveInside, resolveSubfolder } from '../store/paths.ts';
import type { FileRef } from '../jobs/queue.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';
import { checkUploadedImage } from './image-check.ts';
import { READABLE_EXTENSIONS } from '../../nodes/image/decode.ts';

type FileType = 'output' | 'input' | 'temp';

/** The folder of ComfyUI's `type` (output, the default, input or temp); another value is a 400. */
export function rootOf(ctx: ApiContext, type: unknown): string {
  const t = (type ?? 'output') as FileType;
  if (t === 'output') return ctx.host.paths.output;
  if (t === 'input') return ctx.host.paths.input;
  if (t === 'temp') return ctx.host.paths.temp;
  throw new HttpError(400, 'bad_request', 'type must be "output", "input" or "temp"');
}

function queryString(value: unknown, name: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') throw new HttpError(400, 'bad_request', `${name} must be given once, as a string`);
  return value;
}

const CONTENT_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp', '.json': 'application/json' };

export interface Upload {
  /** Form fields by name (a null-prototype map: the names are the client's). */
  fields: Record<string, string>;
  file?: { name: string; data: Buffer };
}

/**
 * Reads a multipart upload. Every stream on the way (the request, busboy, each file stream) has its
 * errors handled: a body cut off or never closed (busboy's "Unexpected end of form" on the file
 * stream) rejects with a 400, and the request stops being read.
 */
export function readUpload(req: Request, limitBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { fileSize: limitBytes, files: 1, fields: 20, fieldSize: 4096 } });
    } catch {
      reject(new HttpError(400, 'bad_request', 'upload must be multipart/form-data with an "image" file field'));
      return;
    }
    const upload: Upload = { fields: Object.create(null) };
    let failed: Error | null = null;
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      req.unpipe(busboy);
      req.resume(); // drain what is left, so the answer can be sent
      reject(error);
    };
    const malformed = (error: unknown) => fail(new HttpError(400, 'bad_request', `malformed upload: ${(error as Error)?.message ?? String(error)}`));
    busboy.on('field', (name, value) => {
      upload.fields[name] = value;
    });
    busboy.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('error', malformed);
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed = new HttpError(413, 'too_large', `the upload is larger than ${limitBytes} bytes`);
      });
      stream.on('end', () => {
        if (name === 'image') upload.file = { name: info.filename ?? 'upload.png', data: Buffer.concat(chunks) };
      });
    });
    busboy.on('error', malformed);
    busboy.on('close', () => {
      if (failed) fail(failed);
      else if (!settled) {
        settled = true;
        resolve(upload);
      }
    });
    req.on('error', malformed);
    req.on('aborted', () => fail(new HttpError(400, 'bad_request', 'the upload was aborted by the client')));
    req.pipe(busboy);
  });
}

/** A name not taken in `dir` (a symbolic link takes its name too, even one that points nowhere). */
export function uniqueName(dir: string, name: string): string {
  const taken = (n: string) => fs.lstatSync(path.join(dir, n), { throwIfNoEntry: false }) !== undefined;
  const ext = path.extname(name);
  const base = name.slice(0, name.length - ext.length);
  let candidate = name;
  for (let i = 1; taken(candidate); i++) candidate = `${base} (${i})${ext}`;
  return candidate;
}

/**
 * Writes `data` to `file` without ever following a symbolic link there (O_NOFOLLOW; a new file is
 * created exclusively). A failed write (a full disk) removes what it wrote, and overwriting replaces the
 * file only once the new bytes are all on disk.
 */
export function writeNoFollow(file: string, data: Uint8Array, overwrite: boolean, what = 'image file name'): void {
  const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
  const open = (target: string) => {
    try {
      return fs.openSync(target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o644);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') throw new PathError(`"${path.basename(file)}" is a symbolic link; uploads never write through one`, what);
      if (code === 'EEXIST' && !overwrite) throw new HttpError(409, 'exists', `"${path.basename(file)}" was created by another upload meanwhile; try again`);
      throw error;
    }
  };
  const writeAll = (target: string) => {
    const fd = open(target);
    let written = false;
    try {
      fs.writeFileSync(fd, data);
      written = true;
    } finally {
      fs.closeSync(fd);
      if (!written) fs.rmSync(target, { force: true });
    }
  };
  if (!overwrite) return writeAll(file);
  if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) {
    throw new PathError(`"${path.basename(file)}" is a symbolic link; uploads never write through one`, what);
  }
  // Written aside, then renamed over the old file (rename replaces a link itself, never its target).
  const part = path.join(path.dirname(file), `.upload-${process.pid}-${Math.random().toString(36).slice(2)}.part`);
  writeAll(part);
  try {
    fs.renameSync(part, file);
  } catch (error) {
    fs.rmSync(part, { force: true });
    throw error;
  }
}

/**
 * A file a remote worker wrote (the Redis queue holds it until this server stores it): written into
 * this server's folder, so it is served, listed and kept as the embedded runner's files are.
 * `file` is the already-resolved path inside the folder. Returns whether the file is there now.
 */
export async function storeRemoteFile(ctx: Pick<ApiContext, 'queue'>, ref: FileRef, file: string): Promise<boolean> {
  if (fs.existsSync(file)) return true;
  const data = await ctx.queue.fetchFile(ref);
  if (!data) return false;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written aside, then linked into place: a reader never sees half a file, and of two racing
  // requests the first link wins (link never overwrites).
  const part = `${file}.part-${process.pid}-${Math.random().toString(36).slice(2)}`;
  fs.writeFileSync(part, data);
  try {
    fs.linkSync(part, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(part, { force: true });
  }
  return true;
}

/**
 * With remote workers: stores every image a run reports (its `executed` events) into this server's
 * folders as soon as it is announced, so /api/outputs lists it and it outlives its copy in Redis.
 * Returns the unsubscribe function.
 */
export function followRemoteOutputs(ctx: Pick<ApiContext, 'queue' | 'bus' | 'host'>, onError: (error: unknown) => void): () => void {
  return ctx.bus.onRun(({ event }) => {
    if (event.type !== 'executed') return;
    for (const image of (event.output.images ?? []) as Partial<FileRef>[]) {
      if (typeof image?.filename !== 'string' || (image.type !== 'output' && image.type !== 'temp')) continue;
      const ref: FileRef = { type: image.type, subfolder: typeof image.subfolder === 'string' ? image.subfolder : '', filename: image.filename };
      try {
        const root = ref.type === 'output' ? ctx.host.paths.output : ctx.host.paths.temp;
        const dir = resolveSubfolder(root, ref.subfolder);
        checkFileName(ref.filename, 'filename');
        storeRemoteFile(ctx, ref, resolveInside(dir, ref.filename, 'filename')).catch(onError);
      } catch (error) {
        onError(error);
      }
    }
  });
}

export function filesRouter(ctx: ApiContext): Router {
  const router = Router();

  router.get('/view', async (req, res) => {
    const filename = queryString(req.query.filename, 'filename');
    const subfolder = queryString(req.query.subfolder, 'subfolder');
    const root = rootOf(ctx, req.query.type);
    const dir = resolveSubfolder(root, subfolder);
    checkFileName(filename, 'filename');
    const file = resolveInside(dir, filename, 'filename');
    if (!fs.existsSync(file) && (req.query.type ?? 'output') !== 'input') await storeRemoteFile(ctx, { type: (req.query.type ?? 'output') as 'output' | 'temp', subfolder, filename }, file);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new HttpError(404, 'not_found', `no file "${filename}" in ${req.query.type ?? 'output'}`);
    res.setHeader('content-type', CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('content-disposition', `inline; filename="${encodeURIComponent(filename)}"`);
    fs.createReadStream(file).pipe(res);
  });

  router.get('/api/outputs', (req, res) => {
    const root = ctx.host.paths.output;
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 200) || 200));
    const files: { filename: string; subfolder: string; type: 'output'; size: number; modifiedAt: string; url: string }[] = [];
    const walk = (dir: string, sub: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(path.join(dir, entry.name), sub ? `${sub}/${entry.name}` : entry.name);
        else if (entry.isFile() && CONTENT_TYPES[path.extname(entry.name).toLowerCase()]?.startsWith('image/')) {
          const stat = fs.statSync(path.join(dir, entry.name));
          const query = new URLSearchParams({ filename: entry.name, subfolder: sub, type: 'output' });
          files.push({ filename: entry.name, subfolder: sub, type: 'output', size: stat.size, modifiedAt: stat.mtime.toISOString(), url: `/view?${query}` });
        }
      }
    };
    walk(root, '');
    files.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt));
    res.json({ total: files.length, files: files.slice(0, limit) });
  });

  router.post('/upload/image', async (req, res) => {
    const upload = await readUpload(req, ctx.options.uploadLimitBytes);
    if (!upload.file) throw new HttpError(400, 'bad_request', 'the upload has no "image" file field');
    await checkUploadedImage(upload.file.data, ctx.options.maxImagePixels);
    const type = upload.fields.type ?? 'input';
    const subfolder = upload.fields.subfolder ?? '';
    const dir = resolveSubfolder(rootOf(ctx, type), subfolder);
    let name = path.basename(upload.file.name.replace(/\\/g, '/'));
    if (!READABLE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext))) name = `${name.replace(/\.[^.]*$/, '')}.png`;
    checkFileName(name, 'image file name');
    fs.mkdirSync(dir, { recursive: true });
    const overwrite = upload.fields.overwrite === 'true' || upload.fields.overwrite === '1';
    if (!overwrite) name = uniqueName(dir, name);
    writeNoFollow(resolveInside(dir, name, 'image file name'), upload.file.data, overwrite);
    res.json({ name, subfolder, type });
  });

  return router;
}
