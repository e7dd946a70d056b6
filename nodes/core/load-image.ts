import fs from 'node:fs';
import path from 'node:path';

import { decodeImage, DEFAULT_MAX_IMAGE_PIXELS, READABLE_EXTENSIONS } from '../image/decode.ts';
import { choice, defineNode, type HostServices, requirePaths, socket } from '../schema.ts';

export default defineNode({
  type: 'LoadImage',
  version: 1,
  category: 'image',
  displayName: 'Load Image',
  description:
    'Loads a picture (PNG 8/16-bit, JPEG, WebP; EXIF orientation applied) from the input folder (upload one with the editor or POST /upload/image). MASK is 1 - alpha (all zero, 64x64, without alpha), as ComfyUI.',
  inputs: {
    image: choice((env) => inputImages(env), { description: 'A PNG, JPEG or WebP file in the input folder.' }),
  },
  outputs: { IMAGE: socket('IMAGE'), MASK: socket('MASK') },
  cache: {
    // A file replaced under the same name reruns the node (ComfyUI's IS_CHANGED).
    fingerprint: (widgets, services) => inputFileFingerprint(widgets.image, services),
  },
  async run(input, ctx) {
    const file = path.join(requirePaths(ctx).input, input.image);
    const { image, mask } = await decodeImage(await fs.promises.readFile(file), ctx.services.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS);
    return { IMAGE: image, MASK: mask };
  },
});

/** Image files in the input folder (LoadImage). */
export function inputImages(env: HostServices): string[] {
  const input = env.paths?.input;
  if (!input) return [];
  try {
    return fs
      .readdirSync(input)
      .filter((f) => READABLE_EXTENSIONS.some((ext) => f.toLowerCase().endsWith(ext)))
      .sort();
  } catch {
    return [];
  }
}

/** A file in the input folder as a cache fingerprint (size and mtime; 'missing'), for the nodes that read one. */
export function inputFileFingerprint(name: string, services: HostServices): string {
  try {
    const stat = fs.statSync(path.join(services.paths?.input ?? '', name));
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return 'missing';
  }
}
