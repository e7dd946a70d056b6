import fs from 'node:fs';

import { rgb8ToImage } from '../image/convert.ts';
import { imageNameExists, listInputImages, resolveImageName } from '../image/input-file.ts';
import { decodePng } from '../image/png.ts';
import { choice, defineNode, type HostServices, optional, requirePaths, socket } from '../schema.ts';

export default defineNode({
  type: 'LoadImage',
  version: 1,
  category: 'image',
  displayName: 'Load Image',
  description: 'Loads a PNG picture from the input folder (upload one with the editor or POST /upload/image).',
  inputs: {
    image: choice((env) => inputImages(env), {
      description: 'A PNG file in the input folder or a subfolder of it (pets/cat.png); ComfyUI\'s "name.png [output]" and "[temp]" name one in those folders.',
      accepts: (value, env) => imageNameExists(value, env.paths),
    }),
    // ComfyUI's upload button is a widget whose value ("image") its files and API exports carry.
    upload: optional(choice(['image'] as const, { default: 'image', description: "ComfyUI's upload button (always \"image\"); accepted so ComfyUI's files and prompts validate. Upload with the editor's button." })),
  },
  outputs: { IMAGE: socket('IMAGE') },
  cache: {
    // A file replaced under the same name reruns the node (ComfyUI's IS_CHANGED).
    fingerprint(widgets, services) {
      const file = services.paths ? resolveImageName(widgets.image, services.paths) : null;
      if (!file) return 'missing';
      try {
        const stat = fs.statSync(file);
        return `${stat.size}:${stat.mtimeMs}`;
      } catch {
        return 'missing';
      }
    },
  },
  run(input, ctx) {
    const file = resolveImageName(input.image, requirePaths(ctx));
    if (!file) throw new Error(`"${input.image}" is not a file name inside the input, output or temp folder; pick an uploaded image.`);
    const png = decodePng(fs.readFileSync(file));
    const data = rgb8ToImage(png.data, png.channels, png.height, png.width);
    return { IMAGE: { data, shape: [1, png.height, png.width, 3] as const } };
  },
});

/** Image files in the input folder and its subfolders (LoadImage's options). */
export function inputImages(env: HostServices): string[] {
  return listInputImages(env.paths?.input);
}
