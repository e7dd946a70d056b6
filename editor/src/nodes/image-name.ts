/**
 * LoadImage's image names as file references: `cat.png`, `pets/cat.png` (a subfolder of input/), and ComfyUI's
 * annotated `cat.png [output]` / `[temp]` / `[input]`, to the `{ filename, subfolder, type }` that /view and
 * /upload/mask take; and back.
 *
 * @example
 *   imageRefOfName('clipspace/clipspace-mask-1.png');  // { filename: 'clipspace-mask-1.png', subfolder: 'clipspace', type: 'input' }
 *   nameOfImageRef({ filename: 'a.png', subfolder: '', type: 'output' });  // 'a.png [output]'
 */
import type { ImageRef } from '../../../protocol/index.ts';

const ANNOTATION = /^(.*) \[(input|output|temp)\]$/;

export function imageRefOfName(name: string): ImageRef {
  const annotated = ANNOTATION.exec(name);
  const path = annotated ? annotated[1] : name;
  const slash = path.lastIndexOf('/');
  return { filename: path.slice(slash + 1), subfolder: slash >= 0 ? path.slice(0, slash) : '', type: annotated?.[2] ?? 'input' };
}

export function nameOfImageRef(ref: ImageRef): string {
  const path = ref.subfolder ? `${ref.subfolder}/${ref.filename}` : ref.filename;
  return ref.type === 'input' || ref.type === '' ? path : `${path} [${ref.type}]`;
}
