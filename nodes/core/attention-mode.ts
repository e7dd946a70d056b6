/**
 * Picking the attention kernel for a run. `auto` chooses by the memory the naive kernel's score
 * matrices would need against a budget (default: the memory the machine has available), preferring
 * naive when it fits comfortably and flash otherwise; explicit modes are used as given, but a mode whose
 * attention memory alone exceeds the budget is refused before anything runs, with the estimate and advice.
 */
import os from 'node:os';

import type { AttentionModeName } from '../../native/index.ts';

export type AttentionChoice = 'auto' | AttentionModeName;

export interface AttentionPlan {
  mode: AttentionModeName;
  /** Bytes of the largest attention's score matrices under naive attention. */
  naiveScoreBytes: number;
  budgetBytes: number;
}

/** The default budget: memory available now, less a safety margin for weights and activations. */
export function defaultMemoryBudget(): number {
  return Math.max(256 * 2 ** 20, os.freemem() * 0.8);
}

function gib(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(bytes >= 2 ** 30 ? 1 : 2)} GiB`;
}

/**
 * The largest naive attention in an SD 1.x UNet is the level-0 self-attention: batch x heads x N x N
 * floats with N = latent height x width.
 */
export function naiveScoreBytes(batch: number, heads: number, latentHeight: number, latentWidth: number): number {
  const tokens = latentHeight * latentWidth;
  return batch * heads * tokens * tokens * 4;
}

export class AttentionMemoryError extends Error {
  override name = 'AttentionMemoryError';
  readonly code = 'SDN_STATUS_OUT_OF_MEMORY';
}

export function planAttention(
  choice: AttentionChoice,
  shape: { batch: number; heads: number; latentHeight: number; latentWidth: number; imageWidth: number; imageHeight: number },
  budgetBytes = defaultMemoryBudget(),
): AttentionPlan {
  const scores = naiveScoreBytes(shape.batch, shape.heads, shape.latentHeight, shape.latentWidth);
  if (choice === 'auto') {
    // naive is the reference and fast on short sequences; flash never holds the score matrix.
    return { mode: scores <= Math.min(budgetBytes / 4, 2 ** 30) ? 'naive' : 'flash', naiveScoreBytes: scores, budgetBytes };
  }
  if (choice === 'naive' && scores > budgetBytes) {
    throw new AttentionMemoryError(
      `naive attention at ${shape.imageWidth}x${shape.imageHeight} (batch ${shape.batch}) needs ~${gib(scores)} for one attention matrix, ` +
        `more than the ${gib(budgetBytes)} available; use flash (or sliced, or auto)`,
    );
  }
  return { mode: choice, naiveScoreBytes: scores, budgetBytes };
}
