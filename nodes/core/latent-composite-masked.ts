import { composite } from '../image/composite.ts';
import { latentPlanes } from '../image/convert.ts';
import { boolean, defineNode, int, optional, socket } from '../schema.ts';

/** ComfyUI's LatentCompositeMasked: source pasted on destination at (x / 8, y / 8), weighted by the optional mask. */
export default defineNode({
  type: 'LatentCompositeMasked',
  version: 1,
  category: 'latent',
  description: 'Pastes source into destination at (x, y) pixels; a mask (1 = source, resized to the source) blends them.',
  inputs: {
    destination: socket('LATENT'),
    source: socket('LATENT'),
    x: int({ default: 0, min: 0, max: 16384, step: 8 }),
    y: int({ default: 0, min: 0, max: 16384, step: 8 }),
    resize_source: boolean({ default: false }),
    mask: optional(socket('MASK')),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input) {
    const c = input.destination.shape[1];
    if (input.source.shape[1] !== c) throw new Error(`source has ${input.source.shape[1]} channels and destination ${c}; both must come from the same model's VAE.`);
    const out = composite(latentPlanes(input.destination), latentPlanes(input.source), c, input.x, input.y, input.mask, 8, input.resize_source);
    return { LATENT: { ...input.destination, samples: out.data } };
  },
});
