import { composite } from '../image/composite.ts';
import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { boolean, defineNode, int, optional, socket } from '../schema.ts';

/** ComfyUI's ImageCompositeMasked: source pasted on destination at (x, y), weighted by the optional mask. */
export default defineNode({
  type: 'ImageCompositeMasked',
  version: 1,
  category: 'image',
  description: 'Pastes source onto destination at (x, y); a mask (1 = source) blends them; resize_source first scales source to the destination.',
  inputs: {
    destination: socket('IMAGE'),
    source: socket('IMAGE'),
    x: int({ default: 0, min: 0, max: 16384, step: 1 }),
    y: int({ default: 0, min: 0, max: 16384, step: 1 }),
    resize_source: boolean({ default: false }),
    mask: optional(socket('MASK')),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    const out = composite(imageToPlanes(input.destination), imageToPlanes(input.source), 3, input.x, input.y, input.mask, 1, input.resize_source);
    return { IMAGE: planesToImage(out) };
  },
});
