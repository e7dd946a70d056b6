import { defineNode, requirePaths, socket, text } from '../schema.ts';
import { prefixProblem, saveImages, workflowChunks } from '../image/save.ts';

export default defineNode({
  type: 'SaveImage',
  version: 1,
  category: 'image',
  displayName: 'Save Image',
  description:
    'Saves pictures as PNG files in the output folder (<prefix>_00001_.png, counting up, never overwriting), with the workflow embedded so dropping the file on the editor restores it.',
  inputs: {
    images: socket('IMAGE'),
    filename_prefix: text({ default: 'latentflow', description: 'File name prefix; "folder/name" saves into a subfolder.' }),
  },
  outputs: {},
  outputNode: true,
  cache: { enabled: false },
  checkWidgets(widgets) {
    const problem = prefixProblem(widgets.filename_prefix);
    return problem ? [{ input: 'filename_prefix', message: `filename_prefix ${problem}.`, details: { reason: 'invalid_name' } }] : [];
  },
  run(input, ctx) {
    const refs = saveImages(input.images, requirePaths(ctx).output, input.filename_prefix, 'output', workflowChunks(ctx.services));
    return { ui: { images: refs } };
  },
});
