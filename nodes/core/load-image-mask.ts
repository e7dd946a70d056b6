import fs from 'node:fs';
import path from 'node:path';

import { decodeImageChannel, DEFAULT_MAX_IMAGE_PIXELS } from '../image/decode.ts';
import { choice, defineNode, requirePaths, socket } from '../schema.ts';
import { inputFileFingerprint, inputImages } from './load-image.ts';

/** ComfyUI's LoadImageMask: one channel of a picture in the input folder as a MASK (alpha as 1 - a). */
export default defineNode({
  type: 'LoadImageMask',
  version: 1,
  category: 'mask',
  displayName: 'Load Image (as Mask)',
  description: 'Loads one channel of a picture from the input folder as a mask (alpha: 1 - alpha, so painted-out areas are 1).',
  inputs: {
    image: choice((env) => inputImages(env), { description: 'A PNG, JPEG or WebP file in the input folder.' }),
    channel: choice(['alpha', 'red', 'green', 'blue'] as const, { default: 'alpha' }),
  },
  outputs: { MASK: socket('MASK') },
  cache: {
    fingerprint: (widgets, services) => inputFileFingerprint(widgets.image, services),
  },
  async run(input, ctx) {
    const file = path.join(requirePaths(ctx).input, input.image);
    return { MASK: await decodeImageChannel(await fs.promises.readFile(file), input.channel, ctx.services.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS) };
  },
});
