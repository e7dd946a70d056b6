import fs from 'node:fs';

import { decodeImageChannel, DEFAULT_MAX_IMAGE_PIXELS } from '../image/decode.ts';
import { imageFileOf, imageFingerprint, imageNameExists } from '../image/input-file.ts';
import { choice, defineNode, requirePaths, socket } from '../schema.ts';
import { inputImages } from './load-image.ts';

/** ComfyUI's LoadImageMask: one channel of a picture in the input folder as a MASK (alpha as 1 - a). */
export default defineNode({
  type: 'LoadImageMask',
  version: 1,
  category: 'mask',
  displayName: 'Load Image (as Mask)',
  description: 'Loads one channel of a picture from the input folder as a mask (alpha: 1 - alpha, so painted-out areas are 1).',
  inputs: {
    image: choice((env) => inputImages(env), {
      description: 'A PNG, JPEG or WebP file in the input folder or a subfolder of it; "name.png [output]" / "[temp]" name one in those folders.',
      accepts: (value, env) => imageNameExists(value, env.paths),
    }),
    channel: choice(['alpha', 'red', 'green', 'blue'] as const, { default: 'alpha' }),
  },
  outputs: { MASK: socket('MASK') },
  cache: {
    fingerprint: (widgets, services) => imageFingerprint(widgets.image, services),
  },
  async run(input, ctx) {
    const file = imageFileOf(input.image, requirePaths(ctx));
    return { MASK: await decodeImageChannel(await fs.promises.readFile(file), input.channel, ctx.services.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS) };
  },
});
