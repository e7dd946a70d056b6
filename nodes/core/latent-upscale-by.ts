import { latentPlanes } from '../image/convert.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { commonUpscale, LATENT_UPSCALE_METHODS, roundHalfEven } from '../image/resize.ts';
import { choice, defineNode, float, socket } from '../schema.ts';

/** ComfyUI's LatentUpscaleBy: both latent sides times scale_by, rounded (hires fix: 1.5 then a second sampler). */
export default defineNode({
  type: 'LatentUpscaleBy',
  version: 1,
  category: 'latent',
  displayName: 'Upscale Latent By',
  description: 'Resizes a latent by a factor (sides rounded to whole latent cells, 8 pixels each).',
  inputs: {
    samples: socket('LATENT'),
    upscale_method: choice(LATENT_UPSCALE_METHODS, { default: 'nearest-exact' }),
    scale_by: float({ default: 1.5, min: 0.01, max: 8, step: 0.01 }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input, ctx) {
    const [b, c, h, w] = input.samples.shape;
    const lw = roundHalfEven(w * input.scale_by);
    const lh = roundHalfEven(h * input.scale_by);
    if (lw < 1 || lh < 1) throw new Error(`scale_by ${input.scale_by} makes the ${w}x${h} latent ${lw}x${lh}; raise scale_by.`);
    requireFloatBudget(b * c * lh * lw, `a ${lw}x${lh} latent of batch ${b}`, 'lower scale_by', ctx.services);
    const out = commonUpscale(latentPlanes(input.samples), c, lw, lh, input.upscale_method, 'disabled');
    return { LATENT: { ...input.samples, samples: out.data, shape: [b, c, lh, lw] as const } };
  },
});
