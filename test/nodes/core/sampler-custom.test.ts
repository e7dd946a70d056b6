// SamplerCustom: KSampler's result from a SAMPLER and SIGMAS; denoised_output is the last x0 prediction.
import { describe, expect, it } from 'vitest';

import basicScheduler from '../../../nodes/core/basic-scheduler.ts';
import ksamplerSelect from '../../../nodes/core/ksampler-select.ts';
import samplerCustom from '../../../nodes/core/sampler-custom.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { plain, prompt, relativeError, tensor } from '../sampling/comfy/reference.ts';
import { useTinyModel, zeroLatent } from '../../helpers/tiny-model.ts';

const model = useTinyModel();

describe('SamplerCustom', () => {
  it('euler over BasicScheduler normal equals the reference, and denoised_output is the last x0', async () => {
    const out = await samplerCustom.run(
      {
        model: model.value,
        add_noise: true,
        noise_seed: 42,
        cfg: 7.5,
        positive: plain(prompt(4)),
        negative: plain(prompt(5)),
        sampler: runNode(ksamplerSelect, { sampler_name: 'euler' }).SAMPLER,
        sigmas: runNode(basicScheduler, { model: model.value, scheduler: 'normal', steps: 4, denoise: 1 }).SIGMAS,
        latent_image: zeroLatent(),
      },
      testContext('SamplerCustom'),
    );
    expect(relativeError(out.output.samples, tensor('ksampler.euler.normal'))).toBeLessThanOrEqual(1e-4);
    expect(relativeError(out.denoised_output.samples, tensor('denoised.euler.normal'))).toBeLessThanOrEqual(1e-4);
  });

  it('with empty sigmas returns the latent unchanged (nothing to run)', async () => {
    const latent = { samples: new Float32Array(256).fill(0.5), shape: [1, 4, 8, 8] as const };
    const out = await samplerCustom.run(
      { model: model.value, add_noise: true, noise_seed: 1, cfg: 7.5, positive: plain(prompt(4)), negative: plain(prompt(5)), sampler: { name: 'euler' }, sigmas: { sigmas: new Float32Array(0) }, latent_image: latent },
      testContext('SamplerCustom'),
    );
    expect(Array.from(out.output.samples)).toEqual(Array.from(latent.samples));
  });
});
