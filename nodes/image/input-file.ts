/**
 * The image names LoadImage takes, as ComfyUI writes them: a file in the input folder (`cat.png`), in a
 * subfolder of it (`pets/cat.png`), or annotated with the folder it is in (`cat.png [output]`,
 * `cat.png [temp]`, `cat.png [input]`). A name never leaves its folder: no `..`, no absolute path, no
 * backslash, no link out.
 *
 * @example
 *   resolveImageName('pets/cat.png [output]', paths);   // <data>/output/pets/cat.png
 *   resolveImageName('../secret.png', paths);           // null
 */
import fs from 'node:fs';
import path from 'node:path';

import type { HostPaths, HostServices } from '../schema.ts';
import { READABLE_EXTENSIONS } from './decode.ts';

const ANNOTATION = /^(.*) \[(input|output|temp)\]$/;
const MAX_DEPTH = 8;

/** The file a name stands for, or null when the name is unsafe (it does not need to exist). */
export function resolveImageName(name: string, paths: HostPaths): string | null {
  const match = ANNOTATION.exec(name);
  const relative = match ? match[1] : name;
  const root = paths[(match?.[2] ?? 'input') as 'input' | 'output' | 'temp'];
  const segments = relative.split('/');
  if (relative === '' || relative.includes('\\') || relative.includes('\0') || path.isAbsolute(relative)) return null;
  if (segments.length > MAX_DEPTH || segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  const file = path.join(root, ...segments);
  try {
    const real = fs.realpathSync(file);
    const realRoot = fs.realpathSync(root);
    if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return null;
  } catch {
    // Missing: the caller says so.
  }
  return file;
}

const readable = (name: string) => READABLE_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext));

/** Whether an annotated or nested name is a picture LoadImage reads (PNG, JPEG, WebP) that exists where it says. */
export function imageNameExists(name: string, paths: HostPaths | undefined): boolean {
  if (!paths || !readable(name.replace(ANNOTATION, '$1'))) return false;
  const file = resolveImageName(name, paths);
  return file !== null && fs.statSync(file, { throwIfNoEntry: false })?.isFile() === true;
}

/** Pictures (PNG, JPEG, WebP) in the input folder and its subfolders (`pets/cat.png`), sorted. */
export function listInputImages(input: string | undefined): string[] {
  if (!input) return [];
  const out: string[] = [];
  const walk = (sub: string, depth: number) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(input, sub), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const relative = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isFile() && readable(entry.name)) out.push(relative);
      else if (entry.isDirectory() && depth < MAX_DEPTH - 1) walk(relative, depth + 1);
    }
  };
  walk('', 0);
  return out.sort();
}

/** The file an image input names, or an error saying what to pick instead. */
export function imageFileOf(name: string, paths: HostPaths): string {
  const file = resolveImageName(name, paths);
  if (!file) throw new Error(`"${name}" is not a file name inside the input, output or temp folder; pick an uploaded image.`);
  return file;
}

/** A named picture as a cache fingerprint (size and mtime; 'missing'): a file replaced under its name reruns the node (ComfyUI's IS_CHANGED). */
export function imageFingerprint(name: string, services: HostServices): string {
  const file = services.paths ? resolveImageName(name, services.paths) : null;
  const stat = file ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
  return stat ? `${stat.size}:${stat.mtimeMs}` : 'missing';
}
