import { repeatToBatch } from '../image/convert.ts';
import { defineNode, int, socket } from '../schema.ts';

/** ComfyUI's LatentFromBatch: `length` latents from batch_index (both cut to what the batch has). */
export default defineNode({
  type: 'LatentFromBatch',
  version: 1,
  category: 'latent/batch',
  description: 'Picks length latents of a batch, starting at batch_index.',
  inputs: {
    samples: socket('LATENT'),
    batch_index: int({ default: 0, min: 0, max: 63 }),
    length: int({ default: 1, min: 1, max: 64 }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    const [b, c, h, w] = input.samples.shape;
    const start = Math.min(b - 1, input.batch_index);
    const length = Math.min(b - start, input.length);
    const item = c * h * w;
    const samples = input.samples.samples.slice(start * item, (start + length) * item);
    let noiseMask = input.samples.noiseMask;
    if (noiseMask && noiseMask.shape[0] > 1) {
      const [, mh, mw] = noiseMask.shape;
      const full = repeatToBatch(noiseMask.data, mh * mw, b);
      noiseMask = { data: full.slice(start * mh * mw, (start + length) * mh * mw), shape: [length, mh, mw] };
    }
    return { LATENT: { samples, shape: [length, c, h, w] as const, noiseMask, scalingFactor: input.samples.scalingFactor } };
  },
});
