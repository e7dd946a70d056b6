import { repeatToBatch } from '../image/convert.ts';
import { requireFloatBudget } from '../image/budget.ts';
import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's RepeatLatentBatch: the batch repeated `amount` times (a noise mask of several entries too). */
export default defineNode({
  type: 'RepeatLatentBatch',
  version: 1,
  category: 'latent/batch',
  description: 'Repeats the whole batch amount times.',
  inputs: { samples: socket('LATENT'), amount: int({ default: 1, min: 1, max: 64 }) },
  outputs: { LATENT: socket('LATENT') },
  run(input, ctx) {
    const [b, c, h, w] = input.samples.shape;
    requireFloatBudget(b * input.amount * c * h * w, `${b * input.amount} latents`, 'lower amount', ctx.services);
    const samples = repeatToBatch(input.samples.samples, c * h * w, b * input.amount);
    const mask = input.samples.noiseMask;
    let noiseMask = mask;
    if (mask && mask.shape[0] > 1) {
      const [mb, mh, mw] = mask.shape;
      const count = Math.max(mb, b) * input.amount;
      noiseMask = { data: repeatToBatch(repeatToBatch(mask.data, mh * mw, Math.max(mb, b)), mh * mw, count), shape: [count, mh, mw] };
    }
    return { LATENT: { samples, shape: [b * input.amount, c, h, w] as const, noiseMask, scalingFactor: input.samples.scalingFactor } };
  },
});
