import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { convolveReflect, gaussianKernel } from '../image/filter.ts';
import { defineNode, float, int, socket } from '../schema.ts';

/** ComfyUI's ImageBlur: a Gaussian of radius blur_radius (kernel 2r + 1) and sigma, reflect at the edges. */
export default defineNode({
  type: 'ImageBlur',
  version: 1,
  category: 'image/postprocessing',
  description: 'Gaussian blur (kernel 2 x blur_radius + 1 over [-1, 1], sigma in those units).',
  inputs: {
    image: socket('IMAGE'),
    blur_radius: int({ default: 1, min: 1, max: 31, step: 1 }),
    sigma: float({ default: 1, min: 0.1, max: 10, step: 0.1 }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    const r = input.blur_radius;
    return { IMAGE: planesToImage(convolveReflect(imageToPlanes(input.image), gaussianKernel(2 * r + 1, input.sigma), r)) };
  },
});
