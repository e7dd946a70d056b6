import { latentPlanes } from '../image/convert.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { commonUpscale, CROP_METHODS, LATENT_UPSCALE_METHODS, roundHalfEven } from '../image/resize.ts';
import { choice, defineNode, int, socket } from '../schema.ts';

/**
 * ComfyUI's LatentUpscale: to width/8 x height/8 cells (each side at least 64 pixels); 0 on one side keeps the
 * aspect ratio, 0 on both keeps the latent. A noise mask stays as it is (it is resized when sampling).
 */
export default defineNode({
  type: 'LatentUpscale',
  version: 1,
  category: 'latent',
  displayName: 'Upscale Latent',
  description: 'Resizes a latent to the picture size given in pixels (bislerp: spherical interpolation of the channel vectors).',
  inputs: {
    samples: socket('LATENT'),
    upscale_method: choice(LATENT_UPSCALE_METHODS, { default: 'nearest-exact' }),
    width: int({ default: 512, min: 0, max: 16384, step: 8 }),
    height: int({ default: 512, min: 0, max: 16384, step: 8 }),
    crop: choice(CROP_METHODS, { default: 'disabled' }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input, ctx) {
    const [b, c, h, w] = input.samples.shape;
    if (input.width === 0 && input.height === 0) return { LATENT: input.samples };
    let width = Math.max(64, input.width);
    let height = Math.max(64, input.height);
    if (input.width === 0) width = Math.max(64, roundHalfEven((w * height) / h));
    else if (input.height === 0) height = Math.max(64, roundHalfEven((h * width) / w));
    const lw = Math.floor(width / 8);
    const lh = Math.floor(height / 8);
    requireFloatBudget(b * c * lh * lw, `a latent for ${width}x${height} of batch ${b}`, 'lower width and height', ctx.services);
    const out = commonUpscale(latentPlanes(input.samples), c, lw, lh, input.upscale_method, input.crop);
    return { LATENT: { ...input.samples, samples: out.data, shape: [b, c, lh, lw] as const } };
  },
});
