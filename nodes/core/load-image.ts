import fs from 'node:fs';

import { decodeImage, DEFAULT_MAX_IMAGE_PIXELS } from '../image/decode.ts';
import { imageFileOf, imageFingerprint, imageNameExists, listInputImages } from '../image/input-file.ts';
import { choice, defineNode, type HostServices, optional, requirePaths, socket } from '../schema.ts';

export default defineNode({
  type: 'LoadImage',
  version: 1,
  category: 'image',
  displayName: 'Load Image',
  description:
    'Loads a picture (PNG 8/16-bit, JPEG, WebP; EXIF orientation applied) from the input folder (upload one with the editor or POST /upload/image). MASK is 1 - alpha (all zero, 64x64, without alpha), as ComfyUI.',
  inputs: {
    image: choice((env) => inputImages(env), {
      description: 'A PNG, JPEG or WebP file in the input folder or a subfolder of it (pets/cat.png); ComfyUI\'s "name.png [output]" and "[temp]" name one in those folders.',
      accepts: (value, env) => imageNameExists(value, env.paths),
    }),
    // ComfyUI's upload button is a widget whose value ("image") its files and API exports carry.
    upload: optional(choice(['image'] as const, { default: 'image', description: "ComfyUI's upload button (always \"image\"); accepted so ComfyUI's files and prompts validate. Upload with the editor's button." })),
  },
  outputs: { IMAGE: socket('IMAGE'), MASK: socket('MASK') },
  cache: {
    fingerprint: (widgets, services) => imageFingerprint(widgets.image, services),
  },
  async run(input, ctx) {
    const file = imageFileOf(input.image, requirePaths(ctx));
    const { image, mask } = await decodeImage(await fs.promises.readFile(file), ctx.services.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS);
    return { IMAGE: image, MASK: mask };
  },
});

/** Image files in the input folder and its subfolders (LoadImage's options). */
export function inputImages(env: HostServices): string[] {
  return listInputImages(env.paths?.input);
}
