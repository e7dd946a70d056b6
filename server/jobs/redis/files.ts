/**
 * Files between servers and workers without a shared filesystem, through Redis.
 * - Inputs: when a job is queued, the server finds the input-folder files its workflow names (e.g.
 *   LoadImage's image) and stores each under its sha256 (`blob` keys, with a TTL); the job carries
 *   [{ name, sha256 }] and the worker writes them into the job's own input folder before it runs.
 * - Outputs: the worker writes images into its own folder as the nodes always do, then publishes each
 *   under a name unique across workers: `<name>_NNNNN_.png` takes its number from a Redis counter per
 *   folder and name (seeded by the servers from the files they already hold), so every server stores
 *   the same file under the same name. The run's events and outputs carry the published names.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import type { Redis } from 'ioredis';

import { checkFileName, resolveInside } from '../../store/paths.ts';
import type { FileRef } from '../queue.ts';
import type { RedisKeys } from './options.ts';

/** An input file a job reads, by content. */
export interface InputBlobRef {
  name: string;
  sha256: string;
}

/** Input-folder files the workflow names: every string input that is the relative path of a file there. */
export function inputFilesOf(prompt: Record<string, unknown>, inputRoot: string): { name: string; file: string }[] {
  const found = new Map<string, string>();
  for (const node of Object.values(prompt)) {
    const inputs = (node as { inputs?: Record<string, unknown> } | null)?.inputs ?? {};
    for (const value of Object.values(inputs)) {
      if (typeof value !== 'string' || value === '' || found.has(value)) continue;
      try {
        const file = resolveInside(inputRoot, value, 'input file');
        if (fs.statSync(file).isFile()) found.set(value, file);
      } catch {
        // not a file of the input folder: an ordinary string
      }
    }
  }
  return [...found].map(([name, file]) => ({ name, file }));
}

/** Stores the files under their sha256 (refreshing the TTL of ones already there). */
export async function putInputBlobs(redis: Redis, keys: RedisKeys, files: { name: string; file: string }[], ttlSeconds: number): Promise<InputBlobRef[]> {
  const refs: InputBlobRef[] = [];
  for (const { name, file } of files) {
    const data = fs.readFileSync(file);
    const sha256 = createHash('sha256').update(data).digest('hex');
    await redis.set(keys.blob(sha256), data, 'EX', ttlSeconds);
    refs.push({ name, sha256 });
  }
  return refs;
}

/** Writes a job's input files into `inputDir`; throws naming the file when one is gone from Redis. */
export async function fetchInputBlobs(redis: Redis, keys: RedisKeys, refs: InputBlobRef[], inputDir: string): Promise<void> {
  fs.mkdirSync(inputDir, { recursive: true });
  for (const ref of refs) {
    const data = await redis.getBuffer(keys.blob(ref.sha256));
    if (!data) throw new MissingInputError(`input file "${ref.name}" is no longer in Redis (it is kept for the file TTL after queueing); upload it again and re-queue the run`);
    const file = resolveInside(inputDir, ref.name, 'input file');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, data);
  }
}

export class MissingInputError extends Error {
  override name = 'MissingInputError';
}

const COUNTED = /^(.*)_(\d{5,})_\.png$/;

/** Raises a counter to at least `value` (a Lua max, so concurrent seeds and increments never go back). */
const RAISE_TO = `local c = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > c then redis.call('SET', KEYS[1], ARGV[1]) end
return 0`;

/**
 * Seeds the counters from the numbered files a server already holds, so a worker never names a new
 * file like an old one. Walks at most `maxFiles` files.
 */
export async function seedFileCounters(redis: Redis, keys: RedisKeys, roots: { type: FileRef['type']; dir: string }[], maxFiles = 100_000): Promise<void> {
  const highest = new Map<string, number>();
  let seen = 0;
  const walk = (type: string, root: string, sub: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, sub), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++seen > maxFiles) return;
      if (entry.isDirectory()) walk(type, root, sub ? `${sub}/${entry.name}` : entry.name);
      const m = entry.isFile() ? COUNTED.exec(entry.name) : null;
      if (!m) continue;
      const key = keys.fileCounter(type, sub, m[1]);
      highest.set(key, Math.max(highest.get(key) ?? 0, Number(m[2])));
    }
  };
  for (const { type, dir } of roots) walk(type, dir, '');
  for (const [key, value] of highest) await redis.eval(RAISE_TO, 1, key, String(value));
}

/**
 * Publishes one file the worker wrote (`root` is the worker's folder of `ref.type`): picks its name
 * across all workers, stores the bytes for the servers, and returns the ref under that name.
 */
export async function publishOutputFile(redis: Redis, keys: RedisKeys, root: string, ref: FileRef, runId: string, ttlSeconds: number): Promise<FileRef> {
  const dir = resolveInside(root, ref.subfolder, 'subfolder', { allowEmpty: true });
  const data = fs.readFileSync(resolveInside(dir, checkFileName(ref.filename, 'filename'), 'filename'));
  const m = COUNTED.exec(ref.filename);
  let filename: string;
  if (m) {
    const n = await redis.incr(keys.fileCounter(ref.type, ref.subfolder, m[1]));
    filename = `${m[1]}_${String(n).padStart(5, '0')}_.png`;
  } else {
    filename = `${runId.slice(0, 8)}-${ref.filename}`; // a name of another pattern: made unique by its run
  }
  await redis.set(keys.file(ref.type, ref.subfolder, filename), data, 'EX', ttlSeconds);
  return { type: ref.type, subfolder: ref.subfolder, filename };
}

/** The bytes of a published file, or null. */
export async function fetchOutputFile(redis: Redis, keys: RedisKeys, ref: FileRef): Promise<Buffer | null> {
  return redis.getBuffer(keys.file(ref.type, ref.subfolder, ref.filename));
}

/** The image refs a node's ui output lists (ComfyUI's `{ images: [{ filename, subfolder, type }] }`). */
export function imageRefsOf(ui: unknown): FileRef[] {
  const images = (ui as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) return [];
  return images.filter(
    (i): i is FileRef => typeof i?.filename === 'string' && (i.type === 'output' || i.type === 'temp') && (i.subfolder === undefined || typeof i.subfolder === 'string'),
  ).map((i) => ({ type: i.type, subfolder: i.subfolder ?? '', filename: i.filename }));
}

/** A ui output with its image refs replaced through `rename` (other fields kept). */
export function renameImages(ui: Record<string, unknown>, rename: (ref: FileRef) => FileRef): Record<string, unknown> {
  if (!Array.isArray(ui.images)) return ui;
  return {
    ...ui,
    images: ui.images.map((image: unknown) => {
      const [ref] = imageRefsOf({ images: [image] });
      return ref ? { ...(image as object), ...rename(ref) } : image;
    }),
  };
}

export function refKey(ref: FileRef): string {
  return `${ref.type}:${ref.subfolder}/${ref.filename}`;
}
