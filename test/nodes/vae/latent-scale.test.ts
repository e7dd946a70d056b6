// A LATENT's scaling factor (ComfyUI's latent_format): a sampler takes a latent in its model's scale,
// rescaling one that carries another VAE's factor; LatentBatch joins two latents in the first one's scale.
import { describe, expect, it } from 'vitest';

import latentBatch from '../../../nodes/core/latent-batch.ts';
import { inModelScale, latentScale, rescaleSamples } from '../../../nodes/vae/latent-scale.ts';

const shape = [1, 4, 1, 1] as const;

describe('latent scale', () => {
  it('falls back to the VAE or model factor when the latent does not say', () => {
    expect(latentScale({ samples: new Float32Array(4), shape }, 0.13025)).toBe(0.13025);
    expect(latentScale({ samples: new Float32Array(4), shape, scalingFactor: 0.18215 }, 0.13025)).toBe(0.18215);
  });

  it('rescales a latent encoded at 0.18215 into the SDXL scale, and marks it', () => {
    const raw = [1, -2, 0.5, 3];
    const sd = { samples: Float32Array.from(raw, (v) => v * 0.18215), shape, scalingFactor: 0.18215 };
    const out = inModelScale(sd, 0.13025);
    expect(out.scalingFactor).toBe(0.13025);
    Array.from(out.samples).forEach((v, i) => expect(v).toBeCloseTo(raw[i] * 0.13025, 6));
    // the same scale, or none: the samples as they are
    const plain = { samples: new Float32Array([1, 2, 3, 4]), shape };
    expect(inModelScale(plain, 0.13025).samples).toBe(plain.samples);
    expect(inModelScale(out, 0.13025).samples).toBe(out.samples);
  });

  it('LatentBatch joins the second latent in the first one\'s scale', () => {
    const a = { samples: new Float32Array([0.13025, 0, 0, 0]), shape, scalingFactor: 0.13025 };
    const b = { samples: new Float32Array([0.18215, 0, 0, 0]), shape, scalingFactor: 0.18215 };
    const out = latentBatch.run({ samples1: a, samples2: b }, undefined as never) as { LATENT: { samples: Float32Array; scalingFactor?: number } };
    expect(out.LATENT.scalingFactor).toBe(0.13025);
    expect(out.LATENT.samples[4]).toBeCloseTo(0.13025, 7);
    expect(rescaleSamples(b.samples, undefined, 0.13025)).toBe(b.samples);
  });
});
