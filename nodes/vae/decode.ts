/**
 * Running the engine's VAE from a node: the latent as the engine expects it, cancellation from the
 * node's signal, the attention mode of an encode, and the tiled decode with image-wide normalisation.
 * Shared by VAEDecode, VAEDecodeTiled and VAEEncode.
 */
import { CancelToken, type ModelHandle, vaeDecodeTiled } from '../../native/index.ts';
import type { AttentionPlan } from '../models/attention-plan.ts';
import type { NodeContext } from '../schema.ts';
import type { LatentValue } from '../socket-values.ts';
import { latentScale } from './latent-scale.ts';

/**
 * The VAE's one attention is global over the latent's cells: use flash above 64x64 latents (VAEEncode's
 * rule; VAEDecode plans by its memory estimate, planVaeDecodeAttention).
 */
export function vaeAttentionMode(latentHeight: number, latentWidth: number): 'naive' | 'flash' {
  return latentHeight * latentWidth > 64 * 64 ? 'flash' : 'naive';
}

/**
 * Model-space latents divided by their scaling factor (the latent's, else the VAE's own), as vaeDecode expects:
 * an SDXL model's samples decode right through a standalone VAE (latent-scale.ts).
 */
export function unscaledLatent(model: ModelHandle, latent: LatentValue): Float32Array {
  const factor = latentScale(latent, model.info.vae.scaling_factor);
  return latent.samples.map((v) => v / factor);
}

/** A CancelToken that follows an AbortSignal for the duration of `work`. */
export async function withCancel<T>(signal: AbortSignal, work: (cancel: CancelToken) => Promise<T>): Promise<T> {
  const cancel = new CancelToken();
  const onAbort = () => cancel.cancel();
  signal.addEventListener('abort', onAbort);
  try {
    return await work(cancel);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * The engine's tiled decode with image-wide normalisation (VAEDecode's picture) in tiles of `tile`
 * latent cells, as `plan` (planVaeDecodeTiledAttention) says; reports the plan and progress per tile.
 */
export function decodeImageTiled(
  model: ModelHandle,
  latent: Float32Array,
  shape: readonly [number, number, number, number],
  tile: number,
  plan: AttentionPlan,
  ctx: NodeContext,
): Promise<Float32Array> {
  ctx.stats({ estimatedPeakBytes: plan.estimate.peakBytes, memoryBudgetBytes: plan.budgetBytes });
  return withCancel(ctx.signal, (cancel) =>
    vaeDecodeTiled(model, latent, shape, { tile, attention: plan.mode, cancel, onProgress: (done, total) => ctx.progress(done, total) }),
  );
}
