import { randomBytes } from 'node:crypto';

import { defineNode, requirePaths, socket } from '../schema.ts';
import { saveImages, workflowChunks } from '../image/save.ts';

export default defineNode({
  type: 'PreviewImage',
  version: 1,
  category: 'image',
  displayName: 'Preview Image',
  description: 'Shows pictures without keeping them: they go to the temporary folder.',
  inputs: { images: socket('IMAGE') },
  outputs: {},
  outputNode: true,
  cache: { enabled: false },
  run(input, ctx) {
    const prefix = `latentflow_temp_${randomBytes(3).toString('hex')}`;
    const refs = saveImages(input.images, requirePaths(ctx).temp, prefix, 'temp', workflowChunks(ctx.services));
    return { ui: { images: refs } };
  },
});
