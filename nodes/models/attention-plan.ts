/**
 * Picking the attention kernel of a run, and refusing a run that cannot fit, before anything big is
 * allocated. Both go by the engine's estimate of the run's working memory (estimateUnetMemory /
 * estimateVaeDecodeMemory: a measure pass of the forward itself, equal to the measured arena peak)
 * against a budget: the host's (services.memoryBudgetBytes, e.g. from LATENTFLOW_MEMORY_BUDGET_GB) or
 * what the machine has available now (defaultMemoryBudget).
 *
 * `auto` chooses by speed among the modes that fit: naive is the fastest while the score matrices
 * are small (measured: naive 47 ms vs flash 88 ms for SD 1.5's self-attention at 1024 tokens, batch 2
 * — 64 MiB of scores; from 1536 tokens on flash wins, 4x at 4096 tokens), flash otherwise. auto never
 * picks sliced: it was never the fastest (docs/BENCHMARKS.md) and flash always needs less memory.
 * An explicit mode is used as given unless it does not fit, then the run is refused with the estimate
 * and the mode that would fit.
 *
 * @example
 *   const plan = planUnetAttention('auto', model, { batch: 2, latentHeight: 128, latentWidth: 128 }, memoryBudget(ctx.services));
 *   plan.mode; // 'flash'
 */
import {
  estimateUnetMemory,
  estimateVaeDecodeMemory,
  estimateVaeDecodeTiledMemory,
  ModelHandle,
  type AttentionModeName,
  type MemoryEstimate,
  type UNetConfig,
  type UnetMemoryQuery,
  type VAEConfig,
  vaeScaleFactor,
} from '../../native/index.ts';
import { formatBytes, MemoryBudgetError } from '../system/memory.ts';

export type AttentionChoice = 'auto' | AttentionModeName;

/**
 * Largest naive attention that auto still runs naive (below it naive is the fastest mode): SD 1.5's
 * self-attention at 1024 tokens, batch 2 (64 MiB of scores + the GEMM's packing buffer), with 1 MiB to spare.
 */
export const NAIVE_FAST_ATTENTION_BYTES = 65 * 2 ** 20;

/** A run refused up front because its estimate is over the budget. */
export class AttentionMemoryError extends MemoryBudgetError<{
  mode: AttentionModeName;
  estimateBytes: number;
  attentionBytes: number;
  budgetBytes: number;
  fits?: AttentionModeName;
}> {
  override name = 'AttentionMemoryError';
}

export interface AttentionPlan {
  mode: AttentionModeName;
  /** The chosen mode's estimate. */
  estimate: MemoryEstimate;
  budgetBytes: number;
}

export interface UnetRunShape {
  /** Latents per UNet call (2 x images with classifier-free guidance). */
  batch: number;
  latentHeight: number;
  latentWidth: number;
  contextTokens?: number;
  /** ControlNets that run inside each UNet call (their memory counts with the UNet's). */
  controls?: UnetMemoryQuery['controls'];
}

/**
 * Bytes of the largest naive attention's score matrices alone (batch x heads x N x N floats, N the
 * top level's latent pixels): the figure people quote for naive attention.
 */
export function naiveScoreBytes(batch: number, heads: number, latentHeight: number, latentWidth: number): number {
  const tokens = latentHeight * latentWidth;
  return batch * heads * tokens * tokens * 4;
}

/** Picks (auto) or checks (explicit) the UNet's attention mode for one run; throws AttentionMemoryError when nothing fits. */
export function planUnetAttention(
  choice: AttentionChoice,
  model: ModelHandle | UNetConfig,
  shape: UnetRunShape,
  budgetBytes: number,
): AttentionPlan {
  const estimate = (mode: AttentionModeName) => estimateUnetMemory(model, { ...shape, attention: mode });
  return plan(choice, estimate, budgetBytes, (mode, e, fits) => {
    const size = `${shape.latentWidth * 8}x${shape.latentHeight * 8}`;
    return (
      `${mode} attention at ${size} (batch ${shape.batch}${shape.controls?.length ? `, ${shape.controls.length} ControlNet${shape.controls.length > 1 ? 's' : ''}` : ''}) needs ~${formatBytes(e.peakBytes)} of working memory ` +
      `(${formatBytes(e.attentionBytes)} for one attention's score matrices alone, at ${e.breakdown.attentionAt}), ` +
      `more than the budget of ${formatBytes(budgetBytes)}; ` +
      (fits ? `use ${fits.mode} (needs ~${formatBytes(fits.estimate.peakBytes)})` : 'use a smaller image or batch, or raise LATENTFLOW_MEMORY_BUDGET_GB')
    );
  });
}

/**
 * The VAE decoder's attention (single-head, global over the latent's cells): naive while small,
 * flash otherwise or when naive would not fit; refuses (AttentionMemoryError with `advice`, by default
 * VAEDecodeTiled) when even flash would not fit.
 */
export function planVaeDecodeAttention(
  model: ModelHandle | VAEConfig,
  shape: { batch: number; latentHeight: number; latentWidth: number },
  budgetBytes: number,
  advice = "use VAEDecodeTiled (the same picture in less memory; normalization 'tile' for the memory of one tile) or a smaller batch",
): AttentionPlan {
  const estimate = (mode: AttentionModeName) => estimateVaeDecodeMemory(model, { ...shape, attention: mode });
  return plan('auto', estimate, budgetBytes, (mode, e) => {
    const f = vaeScaleFactor(model instanceof ModelHandle ? model.info.vae : model);
    return (
      `decoding ${shape.latentWidth * f}x${shape.latentHeight * f} (batch ${shape.batch}) needs ~${formatBytes(e.peakBytes)} of working memory ` +
      `with ${mode} attention, more than the budget of ${formatBytes(budgetBytes)}; ${advice}`
    );
  });
}

/**
 * planVaeDecodeAttention for vaeDecodeTiled (image-wide normalisation, tiles of `tile` latent cells):
 * its mid block's attention still covers the whole latent; the rest of the estimate is the full-size
 * maps plus one tile (estimateVaeDecodeTiledMemory). Refuses (AttentionMemoryError with `advice`)
 * when even flash would not fit.
 */
export function planVaeDecodeTiledAttention(
  model: ModelHandle | VAEConfig,
  shape: { batch: number; latentHeight: number; latentWidth: number; tile: number },
  budgetBytes: number,
  advice: string,
): AttentionPlan {
  const estimate = (mode: AttentionModeName) => estimateVaeDecodeTiledMemory(model, { ...shape, attention: mode });
  return plan('auto', estimate, budgetBytes, (mode, e) => {
    const f = vaeScaleFactor(model instanceof ModelHandle ? model.info.vae : model);
    return (
      `decoding ${shape.latentWidth * f}x${shape.latentHeight * f} (batch ${shape.batch}) in tiles of ${shape.tile * f} pixels with ` +
      `image-wide normalisation needs ~${formatBytes(e.peakBytes)} of working memory (at ${e.breakdown.at}) with ${mode} attention, ` +
      `more than the budget of ${formatBytes(budgetBytes)}; ${advice}`
    );
  });
}

function plan(
  choice: AttentionChoice,
  estimate: (mode: AttentionModeName) => MemoryEstimate,
  budgetBytes: number,
  refusal: (mode: AttentionModeName, e: MemoryEstimate, fits?: { mode: AttentionModeName; estimate: MemoryEstimate }) => string,
): AttentionPlan {
  const refuse = (mode: AttentionModeName, e: MemoryEstimate, fits?: { mode: AttentionModeName; estimate: MemoryEstimate }): never => {
    throw new AttentionMemoryError(refusal(mode, e, fits), {
      mode,
      estimateBytes: e.peakBytes,
      attentionBytes: e.attentionBytes,
      budgetBytes,
      fits: fits?.mode,
    });
  };
  if (choice !== 'auto') {
    const e = estimate(choice);
    if (e.peakBytes <= budgetBytes) return { mode: choice, estimate: e, budgetBytes };
    const flash = choice === 'flash' ? e : estimate('flash');
    return refuse(choice, e, choice !== 'flash' && flash.peakBytes <= budgetBytes ? { mode: 'flash', estimate: flash } : undefined);
  }
  const naive = estimate('naive');
  if (naive.attentionBytes <= NAIVE_FAST_ATTENTION_BYTES && naive.peakBytes <= budgetBytes) return { mode: 'naive', estimate: naive, budgetBytes };
  const flash = estimate('flash');
  if (flash.peakBytes <= budgetBytes) return { mode: 'flash', estimate: flash, budgetBytes };
  return refuse('flash', flash);
}
