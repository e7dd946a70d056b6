import { type ModelHandle, vaeDecode, vaeScaleFactor } from '../../native/index.ts';
import { vaeToImage } from '../image/convert.ts';
import { AttentionMemoryError, type AttentionPlan, planVaeDecodeAttention, planVaeDecodeTiledAttention } from '../models/attention-plan.ts';
import { defineNode, socket } from '../schema.ts';
import { memoryBudget } from '../system/memory.ts';
import { decodeImageTiled, unscaledLatent, withCancel } from '../vae/decode.ts';
import { taesdDecodePixels } from '../vae/taesd.ts';

/** Tile edges (pixels) tried, largest first, by the fallback to the tiled decode when a plain decode does not fit. */
const FALLBACK_TILES_PX = [256, 128, 64];

/**
 * The largest fallback tile whose image-normalised tiled decode fits the budget (smaller tiles need
 * less, down to the full-size maps); when even the smallest does not fit, its AttentionMemoryError,
 * advising what is left (tile normalisation, a smaller batch).
 */
function planFallbackTiles(model: ModelHandle, [B, , h, w]: readonly number[], budget: number): { plan: AttentionPlan; tile: number } {
  const f = vaeScaleFactor(model.info.vae);
  const attempt = (px: number) => {
    const tile = Math.max(1, Math.floor(px / f));
    const advice = "use VAEDecodeTiled with normalization 'tile' (the memory of one tile) or a smaller batch";
    return { plan: planVaeDecodeTiledAttention(model, { batch: B, latentHeight: h, latentWidth: w, tile }, budget, advice), tile };
  };
  for (const px of FALLBACK_TILES_PX.slice(0, -1)) {
    try {
      return attempt(px);
    } catch (error) {
      if (!(error instanceof AttentionMemoryError)) throw error;
    }
  }
  return attempt(FALLBACK_TILES_PX.at(-1)!);
}

export default defineNode({
  type: 'VAEDecode',
  version: 1,
  category: 'latent',
  displayName: 'VAE Decode',
  description:
    'Turns a latent into a picture with the VAE decoder. When the plain decode does not fit the memory budget it decodes in tiles ' +
    "with image-wide normalisation (VAEDecodeTiled's 'image' mode: the same picture in less memory). A TAESD (VAELoader's taesd) " +
    'decodes in one piece.',
  inputs: { samples: socket('LATENT'), vae: socket('VAE') },
  outputs: { IMAGE: socket('IMAGE') },
  async run(input, ctx) {
    const { model, taesd } = input.vae;
    const [B, C, h, w] = input.samples.shape;
    if (taesd) {
      const f = taesd.scaleFactor;
      return { IMAGE: { data: vaeToImage(await taesdDecodePixels(taesd, input.samples, ctx), B, h * f, w * f), shape: [B, h * f, w * f, 3] as const } };
    }
    const f = vaeScaleFactor(model.info.vae);
    const budget = memoryBudget(ctx.services);
    const latent = unscaledLatent(model, input.samples);
    let pixels: Float32Array;
    try {
      // naive while small, flash when large; refused (with the estimate) when even flash would not fit.
      const plan = planVaeDecodeAttention(model, { batch: B, latentHeight: h, latentWidth: w }, budget);
      ctx.stats({ estimatedPeakBytes: plan.estimate.peakBytes, memoryBudgetBytes: plan.budgetBytes });
      pixels = await withCancel(ctx.signal, (cancel) => vaeDecode(model, latent, [B, C, h, w], { attention: plan.mode, cancel }));
    } catch (error) {
      if (!(error instanceof AttentionMemoryError)) throw error;
      // The tiled decode with image-wide normalisation gives the same picture in less memory.
      const { plan, tile } = planFallbackTiles(model, [B, C, h, w], budget);
      ctx.log.info(`${error.message.split(';')[0]}: decoding in ${tile * f}-pixel tiles with image-wide normalisation instead ` +
        `(the same picture, ~${Math.round(plan.estimate.peakBytes / 2 ** 20)} MiB)`);
      pixels = await decodeImageTiled(model, latent, [B, C, h, w], tile, plan, ctx);
    }
    return { IMAGE: { data: vaeToImage(pixels, B, h * f, w * f), shape: [B, h * f, w * f, 3] as const } };
  },
});
