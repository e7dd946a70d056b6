/**
 * Images in and out: ComfyUI's GET /view and POST /upload/image, and our outputs listing.
 * Every client-given name resolves inside its root (server/store/paths.ts); uploads must be PNG images
 * (checked by decoding them, not by their name) and stay under the upload limit.
 */
import fs from 'node:fs';
import path from 'node:path';

import Busboy from 'busboy';
import { type Request, Router } from 'express';

import { decodePng, PngError } from '../../nodes/image/png.ts';
import { checkFileName, resolveInside } from '../store/paths.ts';
import type { FileRef } from '../jobs/queue.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';

type FileType = 'output' | 'input' | 'temp';

function rootOf(ctx: ApiContext, type: unknown): string {
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

interface Upload {
  fields: Record<string, string>;
  file?: { name: string; data: Buffer };
}

function readUpload(req: Request, limitBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: req.headers, limits: { fileSize: limitBytes, files: 1, fields: 20, fieldSize: 4096 } });
    } catch {
      reject(new HttpError(400, 'bad_request', 'upload must be multipart/form-data with an "image" file field'));
      return;
    }
    const upload: Upload = { fields: {} };
    let failed: Error | null = null;
    busboy.on('field', (name, value) => {
      upload.fields[name] = value;
    });
    busboy.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => {
        failed = new HttpError(413, 'too_large', `the upload is larger than ${limitBytes} bytes`);
      });
      stream.on('end', () => {
        if (name === 'image') upload.file = { name: info.filename ?? 'upload.png', data: Buffer.concat(chunks) };
      });
    });
    busboy.on('error', (e) => reject(new HttpError(400, 'bad_request', `malformed upload: ${(e as Error).message}`)));
    busboy.on('close', () => (failed ? reject(failed) : resolve(upload)));
    req.pipe(busboy);
  });
}

function uniqueName(dir: string, name: string): string {
  const ext = path.extname(name);
  const base = name.slice(0, name.length - ext.length);
  let candidate = name;
  for (let i = 1; fs.existsSync(path.join(dir, candidate)); i++) candidate = `${base} (${i})${ext}`;
  return candidate;
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
        const dir = resolveInside(root, ref.subfolder, 'subfolder', { allowEmpty: true });
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
    const dir = resolveInside(root, subfolder, 'subfolder', { allowEmpty: true });
    checkFileName(filename, 'filename');
    const file = resolveInside(dir, filename, 'filename');
    if (!fs.existsSync(file) && (req.query.type ?? 'output') !== 'input') await storeRemoteFile(ctx, { type: (req.query.type ?? 'output') as 'output' | 'temp', subfolder, filename }, file);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new HttpError(404, 'not_found', `no file "${filename}" in ${req.query.type ?? 'output'}`);
    res.setHeader('content-type', CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream');
    res.setHeader('x-content-type-options', 'nosniff');
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
    try {
      decodePng(upload.file.data);
    } catch (error) {
      if (error instanceof PngError) throw new HttpError(400, 'not_an_image', `the upload is not a PNG image latentflow can read: ${error.message}`);
      throw error;
    }
    const root = rootOf(ctx, upload.fields.type ?? 'input');
    const dir = resolveInside(root, upload.fields.subfolder ?? '', 'subfolder', { allowEmpty: true });
    let name = path.basename(upload.file.name.replace(/\\/g, '/'));
    if (!name.toLowerCase().endsWith('.png')) name = `${name.replace(/\.[^.]*$/, '')}.png`;
    checkFileName(name, 'image file name');
    fs.mkdirSync(dir, { recursive: true });
    if (upload.fields.overwrite !== 'true' && upload.fields.overwrite !== '1') name = uniqueName(dir, name);
    fs.writeFileSync(resolveInside(dir, name, 'image file name'), upload.file.data);
    res.json({ name, subfolder: upload.fields.subfolder ?? '', type: upload.fields.type ?? 'input' });
  });

  return router;
}
