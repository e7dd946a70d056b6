import { vaeEncode, vaeScaleFactor } from '../../native/index.ts';
import { imageToVae } from '../image/convert.ts';
import { defineNode, socket } from '../schema.ts';
import { vaeAttentionMode, withCancel } from '../vae/decode.ts';

export default defineNode({
  type: 'VAEEncode',
  version: 1,
  category: 'latent',
  displayName: 'VAE Encode',
  description: 'Turns a picture into a latent with the VAE encoder (the posterior mean, times the scaling factor). Sides must be multiples of 8.',
  inputs: { pixels: socket('IMAGE'), vae: socket('VAE') },
  outputs: { LATENT: socket('LATENT') },
  async run(input, ctx) {
    const { model } = input.vae;
    const [B, H, W] = input.pixels.shape;
    const f = vaeScaleFactor(model.info.vae);
    if (H % f !== 0 || W % f !== 0) {
      throw new Error(`the picture is ${W}x${H}; both sides must be multiples of ${f}. Crop or resize it first.`);
    }
    const { mean } = await withCancel(ctx.signal, (cancel) =>
      vaeEncode(model, imageToVae(input.pixels.data, B, H, W), [B, 3, H, W], { attention: vaeAttentionMode(H / f, W / f), cancel }),
    );
    const factor = model.info.vae.scaling_factor;
    const c = model.info.vae.latent_channels;
    return { LATENT: { samples: mean.map((v) => v * factor), shape: [B, c, H / f, W / f] as const } };
  },
});
