/**
 * Picking the tiles of a model upscale (ImageUpscaleWithModel) by memory, before anything is allocated.
 * ComfyUI tries tiles of 512 pixels overlapping by 32 and halves the tile after each out-of-memory error;
 * latentflow asks the engine instead: estimateUpscalerMemory is a measure pass of the tiled run itself
 * (all tiles, the result and each tile's network), equal to the arena's measured peak. In order:
 *   1. the whole picture in one piece, when it fits the budget (the fastest: no margin is run twice);
 *   2. exact tiles: the largest tile (of at least MIN_TILE pixels) that fits with the exact margin, the
 *      network's receptive field (info.halo), so the picture equals the one-piece picture;
 *   3. a deep model's receptive field is wide (ESRGAN's 23 blocks: 349 pixels), so when no exact tile fits,
 *      the largest tile that fits with a margin of FALLBACK_MARGIN pixels (ComfyUI's overlap): pixels near a
 *      tile's border may then differ slightly from one piece (the plan says so: exact = false).
 * Tiles are found by bisection over multiples of the model's tile multiple.
 *
 * @example
 *   const plan = planUpscaleTile(upscaler, { batch: 1, height: 1024, width: 1024 }, memoryBudget(ctx.services));
 *   plan.tile; // 0 (one piece) or e.g. 360
 */
import { estimateUpscalerMemory, type MemoryEstimate, type UpscalerHandle } from '../../native/index.ts';
import { formatBytes, MemoryBudgetError } from '../system/memory.ts';

/** The smallest tile tried, in pixels (rounded up to the model's tile multiple). */
export const MIN_TILE = 64;
/** The margin of tiles when exact ones do not fit: ComfyUI's tile overlap. */
export const FALLBACK_MARGIN = 32;

export interface UpscalePlan {
  /** Tile side in input pixels; 0: each picture in one piece. */
  tile: number;
  /** Margin of each tile in input pixels; 0: the exact one (info.halo). */
  margin: number;
  /** Whether the result equals the one-piece result (up to float rounding). */
  exact: boolean;
  estimate: MemoryEstimate;
  budgetBytes: number;
}

export interface UpscaleShape {
  batch: number;
  height: number;
  width: number;
}

/** The plan (see the file's comment); throws MemoryBudgetError when even the smallest tile with the fallback margin does not fit. */
export function planUpscaleTile(upscaler: UpscalerHandle, shape: UpscaleShape, budgetBytes: number): UpscalePlan {
  const whole = estimateUpscalerMemory(upscaler, { ...shape, tile: 0 });
  if (whole.peakBytes <= budgetBytes) return { tile: 0, margin: 0, exact: true, estimate: whole, budgetBytes };
  const exact = largestTile(upscaler, shape, 0, budgetBytes);
  if (exact.fits) return { tile: exact.tile, margin: 0, exact: true, estimate: exact.estimate, budgetBytes };
  const narrow = upscaler.info.halo > FALLBACK_MARGIN ? largestTile(upscaler, shape, FALLBACK_MARGIN, budgetBytes) : exact;
  if (narrow.fits) return { tile: narrow.tile, margin: FALLBACK_MARGIN, exact: false, estimate: narrow.estimate, budgetBytes };
  throw new MemoryBudgetError(
    `upscaling a ${shape.width}x${shape.height} picture (batch ${shape.batch}) needs ~${formatBytes(whole.peakBytes)} in one piece and ` +
      `~${formatBytes(narrow.estimate.peakBytes)} even in tiles of ${narrow.tile} pixels with a margin of ${Math.min(FALLBACK_MARGIN, upscaler.info.halo)}, ` +
      `over the memory budget of ${formatBytes(budgetBytes)}; upscale a smaller picture or raise the budget (LATENTFLOW_MEMORY_BUDGET_GB).`,
    { estimateBytes: whole.peakBytes, smallestTileBytes: narrow.estimate.peakBytes, budgetBytes },
  );
}

/** The largest tile of k * m pixels (MIN_TILE <= tile < the picture's longer side) that fits with `margin`; else the smallest, with fits = false. */
function largestTile(upscaler: UpscalerHandle, shape: UpscaleShape, margin: number, budgetBytes: number): { fits: boolean; tile: number; estimate: MemoryEstimate } {
  const estimate = (tile: number) => estimateUpscalerMemory(upscaler, { ...shape, tile, margin });
  const m = upscaler.info.tileMultiple;
  const side = Math.max(shape.height, shape.width);
  // k in [lo, hi): no smaller than MIN_TILE (each tile runs its margin again, and the measure pass walks every
  // tile), and a tile as large as the picture is the whole picture, known not to fit
  let lo = Math.ceil(Math.min(MIN_TILE, side) / m), hi = Math.ceil(side / m);
  const smallest = estimate(lo * m);
  if (lo >= hi || smallest.peakBytes > budgetBytes) return { fits: false, tile: lo * m, estimate: smallest };
  let best = { fits: true, tile: lo * m, estimate: smallest };
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const e = estimate(mid * m);
    if (e.peakBytes <= budgetBytes) {
      lo = mid;
      best = { fits: true, tile: mid * m, estimate: e };
    } else {
      hi = mid;
    }
  }
  return best;
}
