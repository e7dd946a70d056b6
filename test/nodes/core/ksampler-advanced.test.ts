// KSamplerAdvanced: ComfyUI's two-pass split (0-3 with leftover noise, then 3-end without adding noise) and an
// early end, against the reference.
import { describe, expect, it } from 'vitest';

import ksamplerAdvanced from '../../../nodes/core/ksampler-advanced.ts';
import { testContext } from '../../helpers/node-context.ts';
import { plain, prompt, relativeError, tensor } from '../sampling/comfy/reference.ts';
import { useTinyModel, zeroLatent } from '../../helpers/tiny-model.ts';

const model = useTinyModel();
const common = { noise_seed: 11, steps: 6, cfg: 5, positive: plain(prompt(4)), negative: plain(prompt(5)) };

describe('KSamplerAdvanced', () => {
  it('chains two passes as ComfyUI does (euler_ancestral / karras)', async () => {
    const first = await ksamplerAdvanced.run(
      { ...common, model: model.value, add_noise: 'enable', sampler_name: 'euler_ancestral', scheduler: 'karras', latent_image: zeroLatent(), start_at_step: 0, end_at_step: 3, return_with_leftover_noise: 'enable' },
      testContext('KSamplerAdvanced'),
    );
    expect(relativeError(first.LATENT.samples, tensor('advanced.pass1'))).toBeLessThanOrEqual(1e-4);
    const second = await ksamplerAdvanced.run(
      { ...common, model: model.value, add_noise: 'disable', sampler_name: 'euler_ancestral', scheduler: 'karras', latent_image: first.LATENT, start_at_step: 3, end_at_step: 10000, return_with_leftover_noise: 'disable' },
      testContext('KSamplerAdvanced'),
    );
    expect(relativeError(second.LATENT.samples, tensor('advanced.pass2'))).toBeLessThanOrEqual(1e-4);
  });

  it('stops early at end_at_step, fully denoised there', async () => {
    const out = await ksamplerAdvanced.run(
      { ...common, model: model.value, add_noise: 'enable', sampler_name: 'dpmpp_2m', scheduler: 'normal', latent_image: zeroLatent(), start_at_step: 1, end_at_step: 4, return_with_leftover_noise: 'disable' },
      testContext('KSamplerAdvanced'),
    );
    expect(relativeError(out.LATENT.samples, tensor('advanced.end_early'))).toBeLessThanOrEqual(1e-4);
  });

  it('returns the input latent unchanged when start_at_step is past the schedule', async () => {
    const latent = { samples: Float32Array.from({ length: 256 }, (_, i) => i / 256), shape: [1, 4, 8, 8] as const };
    const out = await ksamplerAdvanced.run(
      { ...common, model: model.value, add_noise: 'enable', sampler_name: 'euler', scheduler: 'normal', latent_image: latent, start_at_step: 6, end_at_step: 10000, return_with_leftover_noise: 'disable' },
      testContext('KSamplerAdvanced'),
    );
    expect(Array.from(out.LATENT.samples)).toEqual(Array.from(latent.samples));
  });

  it('refuses add_noise / step ranges with a diffusers scheduler, naming the fix', async () => {
    await expect(
      ksamplerAdvanced.run(
        { ...common, model: model.value, add_noise: 'disable', sampler_name: 'euler', scheduler: 'diffusers', latent_image: zeroLatent(), start_at_step: 0, end_at_step: 10000, return_with_leftover_noise: 'disable' },
        testContext('KSamplerAdvanced', '9'),
      ),
    ).rejects.toThrow(/add_noise, start_at_step and end_at_step need a ComfyUI scheduler/);
  });
});
