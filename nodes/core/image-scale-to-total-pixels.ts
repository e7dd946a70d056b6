import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { commonUpscale, IMAGE_UPSCALE_METHODS, roundHalfEven } from '../image/resize.ts';
import { choice, defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ImageScaleToTotalPixels: the aspect ratio kept, about megapixels x 1024 x 1024 pixels. */
export default defineNode({
  type: 'ImageScaleToTotalPixels',
  version: 1,
  category: 'image/upscaling',
  displayName: 'Scale Image to Total Pixels',
  description: 'Resizes a picture to about megapixels x 1024^2 pixels, keeping its aspect ratio.',
  inputs: {
    image: socket('IMAGE'),
    upscale_method: choice(IMAGE_UPSCALE_METHODS, { default: 'nearest-exact' }),
    megapixels: float({ default: 1, min: 0.01, max: 16, step: 0.01 }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input, ctx) {
    const [b, h, w] = input.image.shape;
    const scale = Math.sqrt((input.megapixels * 1024 * 1024) / (w * h));
    const width = Math.max(1, roundHalfEven(w * scale));
    const height = Math.max(1, roundHalfEven(h * scale));
    requireFloatBudget(b * height * width * 3, `a ${width}x${height} picture of batch ${b}`, 'lower megapixels', ctx.services);
    return { IMAGE: planesToImage(commonUpscale(imageToPlanes(input.image), 3, width, height, input.upscale_method, 'disabled')) };
  },
});
