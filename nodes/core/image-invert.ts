import { defineNode, socket } from '../schema.ts';

/** ComfyUI's ImageInvert: 1 - image. */
export default defineNode({
  type: 'ImageInvert',
  version: 1,
  category: 'image',
  displayName: 'Invert Image',
  description: 'Inverts the colours (1 - value).',
  inputs: { image: socket('IMAGE') },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    return { IMAGE: { data: input.image.data.map((v) => 1 - v), shape: input.image.shape } };
  },
});
