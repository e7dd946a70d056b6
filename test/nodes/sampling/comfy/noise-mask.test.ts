// The noise mask in sampling (ComfyUI's reshape_mask and KSamplerX0Inpaint): the mask at the latent's shape
// against torch (test/fixtures/image-ops), and a whole sampling run keeps the unmasked region as the input latent.
import { describe, expect, it } from 'vitest';

import { comfySample, seededNoise } from '../../../../nodes/sampling/comfy/ksampler.ts';
import { ModelSampling } from '../../../../nodes/sampling/comfy/model-sampling.ts';
import { inpaintDenoiser, prepareDenoiseMask } from '../../../../nodes/sampling/comfy/noise-mask.ts';
import { maxAbsDiff } from '../../../helpers/compare.ts';
import { ref, refMask } from '../../../helpers/image-ops-reference.ts';
import { SD15_SCHEDULER_CONFIG } from '../../../../nodes/sampling/run-comfy.ts';
import { ksamplerSigmas } from '../../../../nodes/sampling/comfy/ksampler.ts';

describe('noise mask', () => {
  it('is resized bilinearly to the latent, repeated over channels and batch (reshape_mask)', () => {
    const out = prepareDenoiseMask(refMask('inpaint/mask'), [2, 4, 3, 4]);
    expect(maxAbsDiff(out, ref('noisemask/latent'))).toBeLessThan(1e-6);
  });

  it('feeds the model the latent noised to sigma outside the mask, and keeps the latent there in its prediction', async () => {
    const mask = Float32Array.of(1, 0);
    const latent = Float32Array.of(5, 7);
    const noise = Float32Array.of(0.5, -2);
    const seen: Float32Array[] = [];
    const denoise = inpaintDenoiser(async (x) => (seen.push(x), Float32Array.of(100, 100)), mask, latent, noise);
    const x0 = await denoise(Float32Array.of(1, 1), 3);
    expect([...seen[0]]).toEqual([1, 7 + -2 * 3]);
    expect([...x0]).toEqual([100, 7]);
  });

  it('a KSampler run with a half mask changes only the masked half (model: a constant-prediction stand-in for the UNet)', async () => {
    const shape = [1, 4, 4, 4] as const;
    const numel = 64;
    const latent = new Float32Array(numel).map((_, i) => Math.sin(i));
    const mask = { data: new Float32Array(16).map((_, i) => (i % 4 < 2 ? 1 : 0)), shape: [1, 4, 4] as const };
    const ms = ModelSampling.fromConfig(SD15_SCHEDULER_CONFIG);
    const sigmas = ksamplerSigmas(ms, 'euler', 'normal', 6, 1);
    const entry = { embeddings: new Float32Array(8), shape: [1, 1, 8] as const };
    // eps-prediction UNet that says the noise is zero: x0 = x, so without the mask the latent would be the noised input.
    const { samples } = await comfySample({
      unet: async (x) => new Float32Array(x.length),
      modelSampling: ms,
      sampler: 'euler',
      sigmas,
      noise: seededNoise(shape, 1),
      latent,
      shape,
      positive: [entry],
      negative: [entry],
      cfg: 1,
      seed: 1,
      denoiseMask: prepareDenoiseMask(mask, shape),
    });
    for (let c = 0; c < 4; c++)
      for (let i = 0; i < 16; i++) {
        const k = c * 16 + i;
        if (i % 4 < 2) expect(Math.abs(samples[k] - latent[k])).toBeGreaterThan(1e-3);
        else expect(samples[k]).toBeCloseTo(latent[k], 6);
      }
  });
});
