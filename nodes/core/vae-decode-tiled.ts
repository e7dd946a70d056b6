import { vaeDecode, vaeScaleFactor } from '../../native/index.ts';
import { vaeToImage } from '../image/convert.ts';
import { choice, defineNode, int, socket } from '../schema.ts';
import { planVaeDecodeAttention, planVaeDecodeTiledAttention } from '../models/attention-plan.ts';
import { memoryBudget } from '../system/memory.ts';
import { decodeImageTiled, unscaledLatent, withCancel } from '../vae/decode.ts';
import { taesdDecodePixels } from '../vae/taesd.ts';
import { decodeTiled } from '../vae/tiles.ts';

/**
 * Two ways to decode in tiles (input `normalization`):
 * - 'image' (default): the engine's tiled decode (vaeDecodeTiled). The mid block runs once on the whole
 *   latent, then every later layer runs tile by tile with group norms using the statistics of the whole
 *   image, so the picture equals VAEDecode's up to float rounding: there are no seams, and `overlap` is
 *   not needed (ignored). Memory: the decoder's full-size feature maps, each held once, plus one tile;
 *   less than VAEDecode (SD 1.5 at 1024x1024: ~1.7 GiB with 256-pixel tiles vs ~2.5 GiB), but it still
 *   grows with the image. Smaller tiles need less (down to that floor); tiles above 256 pixels are
 *   split, since a tile as large as the image would need more than VAEDecode.
 * - 'tile': ComfyUI's behaviour. Each tile is decoded on its own (its own normalisation, attention over
 *   the tile only) and overlaps are blended: memory is that of one tile whatever the image size, but
 *   the picture differs from VAEDecode's (tones shift between tiles; the blending hides the seams).
 * A TAESD (VAELoader's taesd) has no norms: 'image' decodes it in one piece (its memory is small: about
 * 200 MiB at 512x512), 'tile' decodes its tiles on their own and blends them, as ComfyUI does.
 */
/** In 'image' mode, tiles larger than this many pixels are split (see run). */
const IMAGE_MODE_MAX_TILE_PX = 256;

export default defineNode({
  type: 'VAEDecodeTiled',
  version: 1,
  category: 'latent',
  displayName: 'VAE Decode (Tiled)',
  description:
    "Decodes a latent tile by tile. With normalization 'image' (default) the picture equals VAEDecode's " +
    "(no seams at all; overlap is not used) in less memory than VAEDecode, though it still grows with the picture. " +
    "With 'tile' (ComfyUI's way) each tile is decoded on its own and overlaps are blended: memory of one tile at any size, " +
    "but tones may differ from tile to tile. A TAESD decodes in one piece with 'image'.",
  inputs: {
    samples: socket('LATENT'),
    vae: socket('VAE'),
    tile_size: int({
      default: 512,
      min: 64,
      max: 4096,
      step: 64,
      description:
        "Tile size in pixels. 'image': only memory and speed depend on it (tiles above 256 are split: larger ones only cost memory); 'tile': the memory bound.",
    }),
    overlap: int({ default: 64, min: 0, max: 4096, step: 32, description: "Overlap between tiles in pixels, blended (normalization 'tile' only)." }),
    normalization: choice(['image', 'tile'] as const, {
      default: 'image',
      description:
        "'image': group norms over the whole picture, equal to VAEDecode (memory grows with the picture). " +
        "'tile': each tile normalised on its own, blended (ComfyUI's; memory of one tile, tones may differ between tiles).",
    }),
  },
  outputs: { IMAGE: socket('IMAGE') },
  async run(input, ctx) {
    const { model, taesd } = input.vae;
    const [B, C, h, w] = input.samples.shape;
    if (taesd) {
      const f = taesd.scaleFactor, tile = Math.max(1, Math.floor(input.tile_size / f));
      const pixels = input.normalization === 'image'
        ? await taesdDecodePixels(taesd, input.samples, ctx)
        : await decodeTiled((part, shape) => taesdDecodePixels(taesd, { samples: part, shape }, ctx), input.samples.samples, [B, C, h, w],
          { tile, overlap: Math.min(Math.floor(input.overlap / f), tile - 1), scale: f, onTile: (done, total) => ctx.progress(done, total) });
      return { IMAGE: { data: vaeToImage(pixels, B, h * f, w * f), shape: [B, h * f, w * f, 3] as const } };
    }
    const f = vaeScaleFactor(model.info.vae);
    const tile = Math.max(1, Math.floor(input.tile_size / f));
    const latent = unscaledLatent(model, input.samples);
    const budget = memoryBudget(ctx.services);
    let pixels: Float32Array;
    if (input.normalization === 'image') {
      // The picture does not depend on the tile here; tiles above 256 pixels only add memory (one tile
      // covering a 512x512 picture holds a full-size map twice: 946 MiB for SD 1.5 against 657 for
      // VAEDecode; 256-pixel tiles 538 MiB), so larger ones are split.
      const imageTile = Math.min(tile, Math.max(1, Math.floor(IMAGE_MODE_MAX_TILE_PX / f)));
      const plan = planVaeDecodeTiledAttention(model, { batch: B, latentHeight: h, latentWidth: w, tile: imageTile }, budget,
        "use a smaller tile_size, normalization 'tile' (memory of one tile) or a smaller batch");
      pixels = await decodeImageTiled(model, latent, [B, C, h, w], imageTile, plan, ctx);
    } else {
      const overlap = Math.min(Math.floor(input.overlap / f), tile - 1);
      // Every tile is at most tile x tile latent cells: plan (and refuse) for that size up front.
      const plan = planVaeDecodeAttention(model, { batch: B, latentHeight: Math.min(tile, h), latentWidth: Math.min(tile, w) }, budget,
        'use a smaller tile_size (or a smaller batch)');
      ctx.stats({ estimatedPeakBytes: plan.estimate.peakBytes, memoryBudgetBytes: plan.budgetBytes });
      pixels = await withCancel(ctx.signal, (cancel) =>
        decodeTiled(
          (part, shape) => vaeDecode(model, part, shape, { attention: plan.mode, cancel }),
          latent,
          [B, C, h, w],
          { tile, overlap, scale: f, onTile: (done, total) => ctx.progress(done, total) },
        ),
      );
    }
    return { IMAGE: { data: vaeToImage(pixels, B, h * f, w * f), shape: [B, h * f, w * f, 3] as const } };
  },
});
