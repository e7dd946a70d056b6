import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { convolveReflect, gaussianKernel } from '../image/filter.ts';
import { defineNode, float, int, socket } from '../schema.ts';

/**
 * ComfyUI's ImageSharpen: the Gaussian kernel times -10 alpha with its centre raised so the kernel sums to 1
 * (unsharp masking), reflect at the edges, clamped to [0, 1].
 */
export default defineNode({
  type: 'ImageSharpen',
  version: 1,
  category: 'image/postprocessing',
  description: 'Unsharp-mask sharpening: alpha is the strength, sharpen_radius and sigma the Gaussian subtracted.',
  inputs: {
    image: socket('IMAGE'),
    sharpen_radius: int({ default: 1, min: 1, max: 31, step: 1 }),
    sigma: float({ default: 1, min: 0.1, max: 10, step: 0.01 }),
    alpha: float({ default: 1, min: 0, max: 5, step: 0.01 }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input) {
    const r = input.sharpen_radius;
    const size = 2 * r + 1;
    const kernel = gaussianKernel(size, input.sigma).map((v) => v * -(input.alpha * 10));
    const sum = kernel.reduce((a, v) => a + v, 0);
    kernel[r * size + r] = kernel[r * size + r] - sum + 1;
    const out = convolveReflect(imageToPlanes(input.image), kernel, r);
    for (let i = 0; i < out.data.length; i++) out.data[i] = Math.min(Math.max(out.data[i], 0), 1);
    return { IMAGE: planesToImage(out) };
  },
});
