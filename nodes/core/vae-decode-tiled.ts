import { vaeDecode } from '../../native/index.ts';
import { vaeToImage } from '../image/convert.ts';
import { defineNode, int, socket } from '../schema.ts';
import { memoryBudget, planVaeDecodeAttention } from './attention-mode.ts';
import { unscaledLatent, withCancel } from './vae-decode.ts';
import { decodeTiled } from './vae-tiles.ts';

export default defineNode({
  type: 'VAEDecodeTiled',
  version: 1,
  category: 'latent',
  displayName: 'VAE Decode (Tiled)',
  description:
    'Decodes a latent tile by tile, blending the overlaps, so large pictures decode in the memory of one tile.',
  inputs: {
    samples: socket('LATENT'),
    vae: socket('VAE'),
    tile_size: int({ default: 512, min: 64, max: 4096, step: 64, description: 'Tile size in pixels.' }),
    overlap: int({ default: 64, min: 0, max: 4096, step: 32, description: 'Overlap between tiles in pixels (blended).' }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  async run(input, ctx) {
    const { model } = input.vae;
    const [B, C, h, w] = input.samples.shape;
    const f = model.info.vae.downscaleFactor;
    const tile = Math.max(1, Math.floor(input.tile_size / f));
    const overlap = Math.min(Math.floor(input.overlap / f), tile - 1);
    // Every tile is at most tile x tile latent cells: plan (and refuse) for that size up front.
    const plan = planVaeDecodeAttention(model, { batch: B, latentHeight: Math.min(tile, h), latentWidth: Math.min(tile, w) }, memoryBudget(ctx.services), 'use a smaller tile_size (or a smaller batch)');
    const pixels = await withCancel(ctx.signal, (cancel) =>
      decodeTiled(
        (latent, shape) => vaeDecode(model, latent, shape, { attention: plan.mode, cancel }),
        unscaledLatent(model, input.samples),
        [B, C, h, w],
        { tile, overlap, scale: f, onTile: (done, total) => ctx.progress(done, total) },
      ),
    );
    return { IMAGE: { data: vaeToImage(pixels, B, h * f, w * f), shape: [B, h * f, w * f, 3] as const } };
  },
});
