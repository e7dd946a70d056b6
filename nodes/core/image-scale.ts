import { imageToPlanes, planesToImage } from '../image/convert.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { commonUpscale, CROP_METHODS, IMAGE_UPSCALE_METHODS, roundHalfEven } from '../image/resize.ts';
import { choice, defineNode, int, socket } from '../schema.ts';

/** ComfyUI's ImageScale: to width x height; 0 on one side keeps the aspect ratio, 0 on both keeps the picture. */
export default defineNode({
  type: 'ImageScale',
  version: 1,
  category: 'image/upscaling',
  displayName: 'Upscale Image',
  description: 'Resizes a picture to the given size (nearest-exact, bilinear, area, bicubic as torch; lanczos as PIL); crop "center" keeps the aspect ratio by cutting the sides.',
  inputs: {
    image: socket('IMAGE'),
    upscale_method: choice(IMAGE_UPSCALE_METHODS, { default: 'nearest-exact' }),
    width: int({ default: 512, min: 0, max: 16384, step: 1, description: '0: from height, keeping the aspect ratio.' }),
    height: int({ default: 512, min: 0, max: 16384, step: 1, description: '0: from width, keeping the aspect ratio.' }),
    crop: choice(CROP_METHODS, { default: 'disabled' }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  run(input, ctx) {
    const [b, h, w] = input.image.shape;
    if (input.width === 0 && input.height === 0) return { IMAGE: input.image };
    const width = input.width === 0 ? Math.max(1, roundHalfEven((w * input.height) / h)) : input.width;
    const height = input.height === 0 ? Math.max(1, roundHalfEven((h * input.width) / w)) : input.height;
    requireFloatBudget(b * height * width * 3, `a ${width}x${height} picture of batch ${b}`, 'lower width and height', ctx.services);
    return { IMAGE: planesToImage(commonUpscale(imageToPlanes(input.image), 3, width, height, input.upscale_method, input.crop)) };
  },
});
