import { latentPlanes } from '../image/convert.ts';
import { commonUpscale } from '../image/resize.ts';
import { defineNode, socket } from '../schema.ts';
import { rescaleSamples } from '../vae/latent-scale.ts';

/** ComfyUI's LatentBatch: samples2 appended to samples1 (resized to its size, bilinear, center crop, when they differ). */
export default defineNode({
  type: 'LatentBatch',
  version: 1,
  category: 'latent/batch',
  description: 'Joins two latents into one batch; the second is resized to the first when their sizes differ.',
  inputs: { samples1: socket('LATENT'), samples2: socket('LATENT') },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    const [b1, c, h, w] = input.samples1.shape;
    const [b2, c2, h2, w2] = input.samples2.shape;
    if (c2 !== c) throw new Error(`samples2 has ${c2} channels and samples1 ${c}; both must come from the same model's VAE.`);
    const second = h2 === h && w2 === w ? input.samples2.samples : commonUpscale(latentPlanes(input.samples2), c, w, h, 'bilinear', 'center').data;
    const samples = new Float32Array(input.samples1.samples.length + second.length);
    samples.set(input.samples1.samples);
    // in samples1's scale when the two carry different VAE scaling factors (latent-scale.ts)
    samples.set(rescaleSamples(second, input.samples2.scalingFactor, input.samples1.scalingFactor), input.samples1.samples.length);
    return { LATENT: { ...input.samples1, samples, shape: [b1 + b2, c, h, w] as const } };
  },
});
