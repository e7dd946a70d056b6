/**
 * A LATENT's scaling factor (LatentValue.scalingFactor), ComfyUI's latent_format in latentflow's model-space
 * LATENTs: ComfyUI keeps LATENTs in the VAE's raw space and its model scales them in and out (SD 1.x 0.18215,
 * SDXL 0.13025), so any VAE decodes any model's samples. Here the samples are in model space and say by which
 * factor; a VAE divides by that factor, a sampler rescales to its model's.
 */
import type { LatentValue } from '../socket-values.ts';

/** The factor `latent`'s samples carry, or `fallback` (the VAE's or model's own) when it does not say. */
export function latentScale(latent: LatentValue, fallback: number): number {
  return latent.scalingFactor ?? fallback;
}

/**
 * `latent` in the model space of a model whose VAE scales by `factor`: the samples rescaled when the latent
 * carries another factor (a standalone VAE's encode sampled by an SDXL model), and marked with `factor`.
 */
export function inModelScale(latent: LatentValue, factor: number): LatentValue {
  const from = latentScale(latent, factor);
  const samples = from === factor ? latent.samples : latent.samples.map((v) => (v / from) * factor);
  return { ...latent, samples, scalingFactor: factor };
}

/** `samples` carried to `factor` from `from` (LatentBatch and the composites join latents of two factors). */
export function rescaleSamples(samples: Float32Array, from: number | undefined, factor: number | undefined): Float32Array {
  if (from === undefined || factor === undefined || from === factor) return samples;
  return samples.map((v) => (v / from) * factor);
}
