import { vaeEncode, vaeScaleFactor } from '../../native/index.ts';
import { imageToVae } from '../image/convert.ts';
import { defineNode, socket } from '../schema.ts';
import { vaeAttentionMode, withCancel } from '../vae/decode.ts';
import { taesdEncodePixels } from '../vae/taesd.ts';

export default defineNode({
  type: 'VAEEncode',
  version: 1,
  category: 'latent',
  displayName: 'VAE Encode',
  description: 'Turns a picture into a latent with the VAE encoder (the posterior mean, times the scaling factor; a TAESD gives its latent directly). Sides must be multiples of 8.',
  inputs: { pixels: socket('IMAGE'), vae: socket('VAE') },
  outputs: { LATENT: socket('LATENT') },
  async run(input, ctx) {
    const { model, taesd } = input.vae;
    const [B, H, W] = input.pixels.shape;
    const f = taesd ? taesd.scaleFactor : vaeScaleFactor(model.info.vae);
    if (H % f !== 0 || W % f !== 0) {
      throw new Error(`the picture is ${W}x${H}; both sides must be multiples of ${f}. Crop or resize it first.`);
    }
    if (taesd) {
      const samples = await taesdEncodePixels(taesd, imageToVae(input.pixels.data, B, H, W), [B, 3, H, W], ctx);
      return { LATENT: { samples, shape: [B, taesd.info.config.latent_channels, H / f, W / f] as const } };
    }
    const { mean } = await withCancel(ctx.signal, (cancel) =>
      vaeEncode(model, imageToVae(input.pixels.data, B, H, W), [B, 3, H, W], { attention: vaeAttentionMode(H / f, W / f), cancel }),
    );
    const factor = model.info.vae.scaling_factor;
    const c = model.info.vae.latent_channels;
    return { LATENT: { samples: mean.map((v) => v * factor), shape: [B, c, H / f, W / f] as const } };
  },
});
