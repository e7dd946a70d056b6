import { defineNode, int, socket } from '../schema.ts';

export default defineNode({
  type: 'EmptyLatentImage',
  version: 1,
  category: 'latent',
  displayName: 'Empty Latent Image',
  description: 'An all-zero latent for a picture of the given size (multiples of 8 pixels); the sampler adds the noise.',
  inputs: {
    width: int({ default: 512, min: 64, max: 8192, step: 8, description: 'Picture width in pixels (a multiple of 8).' }),
    height: int({ default: 512, min: 64, max: 8192, step: 8, description: 'Picture height in pixels (a multiple of 8).' }),
    batch_size: int({ default: 1, min: 1, max: 64, description: 'Pictures made at once.' }),
  },
  outputs: { LATENT: socket('LATENT') },
  run(input, ctx) {
    for (const [name, value] of [['width', input.width], ['height', input.height]] as const) {
      if (value % 8 !== 0) throw new Error(`EmptyLatentImage #${ctx.nodeId}: ${name} ${value} is not a multiple of 8; use ${Math.round(value / 8) * 8}.`);
    }
    const shape = [input.batch_size, 4, input.height / 8, input.width / 8] as const;
    return { LATENT: { samples: new Float32Array(shape[0] * shape[1] * shape[2] * shape[3]), shape } };
  },
});
