// ModelSamplingDiscrete (lcm) + the lcm sampler: ComfyUI's LCM path against the reference.
import { describe, expect, it } from 'vitest';

import ksampler from '../../../nodes/core/ksampler.ts';
import modelSamplingDiscrete from '../../../nodes/core/model-sampling-discrete.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { useTinyModel, zeroLatent } from '../../helpers/tiny-model.ts';
import { plain, prompt, relativeError, tensor } from '../sampling/comfy/reference.ts';

const model = useTinyModel();

describe('ModelSamplingDiscrete', () => {
  it('lcm: KSampler with the lcm sampler equals ComfyUI (reference) on sgm_uniform and normal', async () => {
    const lcmModel = runNode(modelSamplingDiscrete, { model: model.value, sampling: 'lcm', zsnr: false }).MODEL;
    expect(lcmModel.sampling).toEqual({ kind: 'lcm', zsnr: false });
    expect(lcmModel.model).toBe(model.value.model);
    for (const scheduler of ['sgm_uniform', 'normal'] as const) {
      const out = await ksampler.run(
        { model: lcmModel, seed: 9, steps: 4, cfg: 1.5, sampler_name: 'lcm', scheduler, positive: plain(prompt(4)), negative: plain(prompt(5)), latent_image: zeroLatent(), denoise: 1, attention: 'auto', precision: 'model' },
        testContext('KSampler'),
      );
      expect(relativeError(out.LATENT.samples, tensor(`lcm_model.lcm.${scheduler}`))).toBeLessThanOrEqual(1e-4);
    }
  });

  it('the diffusers schedulers refuse a model sampling they do not apply', async () => {
    const lcmModel = runNode(modelSamplingDiscrete, { model: model.value, sampling: 'lcm', zsnr: false }).MODEL;
    await expect(
      ksampler.run(
        { model: lcmModel, seed: 9, steps: 4, cfg: 1.5, sampler_name: 'euler', scheduler: 'diffusers', positive: plain(prompt(4)), negative: plain(prompt(5)), latent_image: zeroLatent(), denoise: 1, attention: 'auto', precision: 'model' },
        testContext('KSampler', '2'),
      ),
    ).rejects.toThrow(/ModelSamplingDiscrete \(lcm\) applies to ComfyUI's schedulers only/);
  });
});
