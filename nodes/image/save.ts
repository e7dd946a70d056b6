/**
 * Writing IMAGE batches as PNG files, as ComfyUI does: `<prefix>_00001_.png`, counting up from the
 * highest number already there and never overwriting (files are created exclusively), with the run's
 * workflow embedded as tEXt chunks: "prompt" (execution form) and "workflow" (saved form) plus any other
 * extra_pnginfo entries.
 */
import fs from 'node:fs';
import path from 'node:path';

import { FILE_NAME_RULE, fileNameProblem } from '../file-names.ts';
import { imageToRgb8 } from './convert.ts';
import { encodePng } from './png.ts';
import type { HostServices } from '../schema.ts';
import type { ImageValue } from '../socket-values.ts';

export interface SavedImageRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp';
}

/** tEXt chunks for a run: ComfyUI's "prompt" and "workflow" (and other extra_pnginfo keys). */
export function workflowChunks(services: HostServices): Record<string, string> {
  const chunks: Record<string, string> = {};
  const run = services.run;
  if (run?.prompt) chunks.prompt = JSON.stringify(run.prompt);
  const info = (run?.extra?.extra_pnginfo ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(info)) {
    if (/^[A-Za-z0-9_ -]{1,79}$/.test(key)) chunks[key] = JSON.stringify(value);
  }
  return chunks;
}

/**
 * Why `prefix` cannot name saved files, or null: every folder of "folder/name" and the file names made
 * from it (`<name>_00001_.png`) must follow the file-name rule /view serves by (nodes/file-names.ts), so
 * whatever is saved can be fetched. An absolute prefix is taken as relative to the output folder.
 */
export function prefixProblem(prefix: string): string | null {
  const parts = prefix.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return 'is empty; give a name such as "latentflow"';
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const problem = fileNameProblem(last ? `${part}_00001_.png` : part);
    if (problem) return `${last ? `makes file names such as "${part.slice(0, 64)}_00001_.png"` : `has a folder "${part.slice(0, 64)}"`} that ${problem}; ${FILE_NAME_RULE}`;
  }
  return null;
}

/** Splits "folder/name" into a safe subfolder and file prefix (see prefixProblem). */
export function splitPrefix(prefix: string): { subfolder: string; name: string } {
  const problem = prefixProblem(prefix);
  if (problem) throw new Error(`filename_prefix "${prefix.slice(0, 64)}" ${problem}.`);
  const parts = prefix.split('/').filter((p) => p !== '' && p !== '.');
  return { subfolder: parts.slice(0, -1).join('/'), name: parts[parts.length - 1] };
}

function isInside(root: string, dir: string): boolean {
  return dir === root || dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function nextCounter(dir: string, name: string): number {
  let highest = 0;
  const pattern = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_(\\d{5,})_\\.png$`);
  for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const m = pattern.exec(file);
    if (m) highest = Math.max(highest, Number(m[1]));
  }
  return highest + 1;
}

export function saveImages(images: ImageValue, root: string, prefix: string, type: 'output' | 'temp', chunks: Record<string, string>): SavedImageRef[] {
  const { subfolder, name } = splitPrefix(prefix);
  const dir = path.join(root, subfolder);
  if (!isInside(path.resolve(root), path.resolve(dir))) throw new Error(`filename_prefix "${prefix}" leads outside the output folder.`);
  fs.mkdirSync(dir, { recursive: true });
  // A link inside the output folder may point elsewhere: compare where the folder really is.
  if (!isInside(fs.realpathSync(root), fs.realpathSync(dir))) {
    throw new Error(`filename_prefix "${prefix}" leads outside the output folder (through a symbolic link); use a folder inside it.`);
  }
  const [B, H, W] = images.shape;
  const refs: SavedImageRef[] = [];
  let counter = nextCounter(dir, name);
  for (let b = 0; b < B; b++) {
    const png = encodePng({ width: W, height: H, channels: 3, data: imageToRgb8(images.data, b, H, W) }, chunks);
    for (;;) {
      const filename = `${name}_${String(counter).padStart(5, '0')}_.png`;
      counter++;
      try {
        fs.writeFileSync(path.join(dir, filename), png, { flag: 'wx' }); // never overwrite
        refs.push({ filename, subfolder, type });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
  return refs;
}
