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

import type { HostPaths } from '../schema.ts';

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

/** Whether an annotated or nested name is a PNG file that exists where it says. */
export function imageNameExists(name: string, paths: HostPaths | undefined): boolean {
  if (!paths || !name.toLowerCase().replace(ANNOTATION, '$1').endsWith('.png')) return false;
  const file = resolveImageName(name, paths);
  return file !== null && fs.statSync(file, { throwIfNoEntry: false })?.isFile() === true;
}

/** PNG files in the input folder and its subfolders (`pets/cat.png`), sorted. */
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
      if (entry.isFile() && entry.name.toLowerCase().endsWith('.png')) out.push(relative);
      else if (entry.isDirectory() && depth < MAX_DEPTH - 1) walk(relative, depth + 1);
    }
  };
  walk('', 0);
  return out.sort();
}
