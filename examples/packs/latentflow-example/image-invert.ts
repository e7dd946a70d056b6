/** ImageInvert: the negative of an image, 1 - x per channel (ComfyUI's ImageInvert). */
import { defineNode, socket } from '../../../nodes/schema.ts';
import { asImage, type Image } from './values.ts';

export default defineNode({
  type: 'ImageInvert',
  version: 1,
  category: 'image',
  description: 'The negative of an image: every channel becomes 1 - value.',
  inputs: { image: socket('IMAGE') },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    return { IMAGE: invert(asImage(input.image, 'image')) };
  },
});

export function invert(image: Image): Image {
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = 1 - image.data[i];
  return { data, shape: [...image.shape] };
}
