/**
 * Picking the tile size of a model upscale (ImageUpscaleWithModel) by memory, before anything is
 * allocated. ComfyUI tries tiles of 512 pixels and halves the tile after each out-of-memory error;
 * latentflow asks the engine instead: estimateUpscalerMemory is a measure pass of the tiled run itself
 * (all tiles, the result and each tile's network), equal to the arena's measured peak. The whole picture
 * is run in one piece when it fits the budget (the fastest: no margins run twice); otherwise the largest
 * tile that fits (of at least MIN_TILE pixels), found by bisection over multiples of the model's tile multiple. Tiles do not change
 * the picture (each is run with a margin as wide as the network's receptive field), only time and memory.
 *
 * @example
 *   const plan = planUpscaleTile(upscaler, { batch: 1, height: 1024, width: 1024 }, memoryBudget(ctx.services));
 *   plan.tile; // 0 (one piece) or e.g. 360
 */
import { estimateUpscalerMemory, type MemoryEstimate, type UpscalerHandle } from '../../native/index.ts';
import { formatBytes, MemoryBudgetError } from '../system/memory.ts';

/** The smallest tile tried, in pixels (rounded up to the model's tile multiple). */
export const MIN_TILE = 64;

export interface UpscalePlan {
  /** Tile side in input pixels; 0: each picture in one piece. */
  tile: number;
  estimate: MemoryEstimate;
  budgetBytes: number;
}

export interface UpscaleShape {
  batch: number;
  height: number;
  width: number;
}

/** The largest tile (0 = whole pictures) whose measured need fits `budgetBytes`; throws MemoryBudgetError when even the smallest does not. */
export function planUpscaleTile(upscaler: UpscalerHandle, shape: UpscaleShape, budgetBytes: number): UpscalePlan {
  const estimate = (tile: number) => estimateUpscalerMemory(upscaler, { ...shape, tile });
  const whole = estimate(0);
  if (whole.peakBytes <= budgetBytes) return { tile: 0, estimate: whole, budgetBytes };
  const m = upscaler.info.tileMultiple;
  const side = Math.max(shape.height, shape.width);
  // tiles of k * m pixels, k in [lo, hi): no smaller than MIN_TILE (each tile costs a pass over its margin,
  // and the measure pass walks every tile), and a tile as large as the picture is the whole picture
  let lo = Math.ceil(Math.min(MIN_TILE, side) / m), hi = Math.ceil(side / m);
  const smallest = estimate(lo * m);
  if (lo >= hi || smallest.peakBytes > budgetBytes) {
    throw new MemoryBudgetError(
      `upscaling a ${shape.width}x${shape.height} picture (batch ${shape.batch}) needs ~${formatBytes(whole.peakBytes)} in one piece and ` +
        `~${formatBytes(smallest.peakBytes)} even in tiles of ${lo * m} pixels (the result and the network's margin of ${upscaler.info.halo} pixels), ` +
        `over the memory budget of ${formatBytes(budgetBytes)}; upscale a smaller picture or raise the budget (LATENTFLOW_MEMORY_BUDGET_GB).`,
      { estimateBytes: whole.peakBytes, smallestTileBytes: smallest.peakBytes, budgetBytes },
    );
  }
  let best = { tile: lo * m, estimate: smallest };
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const e = estimate(mid * m);
    if (e.peakBytes <= budgetBytes) {
      lo = mid;
      best = { tile: mid * m, estimate: e };
    } else {
      hi = mid;
    }
  }
  return { ...best, budgetBytes };
}
