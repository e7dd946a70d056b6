import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { commonUpscale, IMAGE_UPSCALE_METHODS, roundHalfEven } from '../image/resize.ts';
import { choice, defineNode, float, socket } from '../schema.ts';

/** ComfyUI's ImageScaleBy: both sides times scale_by, rounded. */
export default defineNode({
  type: 'ImageScaleBy',
  version: 1,
  category: 'image/upscaling',
  displayName: 'Upscale Image By',
  description: 'Resizes a picture by a factor (sides rounded to whole pixels).',
  inputs: {
    image: socket('IMAGE'),
    upscale_method: choice(IMAGE_UPSCALE_METHODS, { default: 'nearest-exact' }),
    scale_by: float({ default: 1, min: 0.01, max: 8, step: 0.01 }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input, ctx) {
    const [b, h, w] = input.image.shape;
    const width = roundHalfEven(w * input.scale_by);
    const height = roundHalfEven(h * input.scale_by);
    if (width < 1 || height < 1) throw new Error(`scale_by ${input.scale_by} makes the ${w}x${h} picture ${width}x${height}; raise scale_by.`);
    requireFloatBudget(b * height * width * 3, `a ${width}x${height} picture of batch ${b}`, 'lower scale_by', ctx.services);
    return { IMAGE: planesToImage(commonUpscale(imageToPlanes(input.image), 3, width, height, input.upscale_method, 'disabled')) };
  },
});
