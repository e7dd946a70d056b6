import fs from 'node:fs';
import path from 'node:path';

import { rgb8ToImage } from '../image/convert.ts';
import { decodePng } from '../image/png.ts';
import { choice, defineNode, type HostServices, requirePaths, socket } from '../schema.ts';

export default defineNode({
  type: 'LoadImage',
  version: 1,
  category: 'image',
  displayName: 'Load Image',
  description: 'Loads a PNG picture from the input folder (upload one with the editor or POST /upload/image).',
  inputs: {
    image: choice((env) => inputImages(env), { description: 'A PNG file in the input folder.' }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  cache: {
    // A file replaced under the same name reruns the node (ComfyUI's IS_CHANGED).
    fingerprint(widgets, services) {
      const file = path.join(services.paths?.input ?? '', widgets.image);
      try {
        const stat = fs.statSync(file);
        return `${stat.size}:${stat.mtimeMs}`;
      } catch {
        return 'missing';
      }
    },
  },
  run(input, ctx) {
    const file = path.join(requirePaths(ctx).input, input.image);
    const png = decodePng(fs.readFileSync(file));
    const data = rgb8ToImage(png.data, png.channels, png.height, png.width);
    return { IMAGE: { data, shape: [1, png.height, png.width, 3] as const } };
  },
});

/** Image files in the input folder (LoadImage). */
export function inputImages(env: HostServices): string[] {
  const input = env.paths?.input;
  if (!input) return [];
  try {
    return fs.readdirSync(input).filter((f) => f.toLowerCase().endsWith('.png')).sort();
  } catch {
    return [];
  }
}
