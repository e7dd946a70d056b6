import { CancelToken, type ModelHandle, vaeDecode } from '../../native/index.ts';
import { vaeToImage } from '../image/convert.ts';
import { defineNode, socket } from '../schema.ts';
import { memoryBudget, planVaeDecodeAttention } from './attention-mode.ts';
import type { LatentValue } from './types.ts';

/**
 * The VAE's one attention is global over the latent's cells: use flash above 64x64 latents (VAEEncode's
 * rule; VAEDecode plans by its memory estimate, planVaeDecodeAttention).
 */
export function vaeAttentionMode(latentHeight: number, latentWidth: number): 'naive' | 'flash' {
  return latentHeight * latentWidth > 64 * 64 ? 'flash' : 'naive';
}

/** Model-space latents divided by the VAE's scaling factor, as vaeDecode expects. */
export function unscaledLatent(model: ModelHandle, latent: LatentValue): Float32Array {
  const factor = model.info.vae.scalingFactor;
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

export default defineNode({
  type: 'VAEDecode',
  version: 1,
  category: 'latent',
  displayName: 'VAE Decode',
  description: 'Turns a latent into a picture with the VAE decoder.',
  inputs: { samples: socket('LATENT'), vae: socket('VAE') },
  outputs: { IMAGE: socket('IMAGE') },
  async run(input, ctx) {
    const { model } = input.vae;
    const [B, C, h, w] = input.samples.shape;
    const f = model.info.vae.downscaleFactor;
    // naive while small, flash when large; refused here (with the estimate) when even flash would not fit.
    const plan = planVaeDecodeAttention(model, { batch: B, latentHeight: h, latentWidth: w }, memoryBudget(ctx.services));
    ctx.stats({ estimatedPeakBytes: plan.estimate.peakBytes, memoryBudgetBytes: plan.budgetBytes });
    const pixels = await withCancel(ctx.signal, (cancel) =>
      vaeDecode(model, unscaledLatent(model, input.samples), [B, C, h, w], { attention: plan.mode, cancel }),
    );
    return { IMAGE: { data: vaeToImage(pixels, B, h * f, w * f), shape: [B, h * f, w * f, 3] as const } };
  },
});
