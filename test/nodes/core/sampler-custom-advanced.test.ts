// SamplerCustomAdvanced from its parts (RandomNoise, CFGGuider, KSamplerSelect, BasicScheduler) equals KSampler's
// ComfyUI result; split sigmas run as two passes (DisableNoise for the second) equal one pass.
import { describe, expect, it } from 'vitest';

import basicGuider from '../../../nodes/core/basic-guider.ts';
import basicScheduler from '../../../nodes/core/basic-scheduler.ts';
import cfgGuider from '../../../nodes/core/cfg-guider.ts';
import disableNoise from '../../../nodes/core/disable-noise.ts';
import ksamplerSelect from '../../../nodes/core/ksampler-select.ts';
import randomNoise from '../../../nodes/core/random-noise.ts';
import samplerCustomAdvanced from '../../../nodes/core/sampler-custom-advanced.ts';
import splitSigmas from '../../../nodes/core/split-sigmas.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';
import { plain, prompt, relativeError, tensor } from '../sampling/comfy/reference.ts';
import { useTinyModel, zeroLatent } from '../../helpers/tiny-model.ts';

const model = useTinyModel();
const ctx = () => testContext('SamplerCustomAdvanced');

describe('SamplerCustomAdvanced', () => {
  it('RandomNoise + CFGGuider + KSamplerSelect + BasicScheduler = KSampler (dpmpp_2m / karras, reference)', async () => {
    const noise = runNode(randomNoise, { noise_seed: 42 }).NOISE;
    const guider = runNode(cfgGuider, { model: model.value, positive: plain(prompt(4)), negative: plain(prompt(5)), cfg: 7.5 }).GUIDER;
    const sampler = runNode(ksamplerSelect, { sampler_name: 'dpmpp_2m' }).SAMPLER;
    const sigmas = runNode(basicScheduler, { model: model.value, scheduler: 'karras', steps: 4, denoise: 1 }).SIGMAS;
    expect(sigmas.sigmas.length).toBe(5);
    const out = await samplerCustomAdvanced.run({ noise, guider, sampler, sigmas, latent_image: zeroLatent() }, ctx());
    expect(relativeError(out.output.samples, tensor('ksampler.dpmpp_2m.karras'))).toBeLessThanOrEqual(1e-4);
    expect(out.denoised_output.shape).toEqual([1, 4, 8, 8]);
  });

  it('SplitSigmas: the high part with noise, then the low part with DisableNoise, is bit-identical to one pass (euler)', async () => {
    const guider = runNode(cfgGuider, { model: model.value, positive: plain(prompt(4)), negative: plain(prompt(5)), cfg: 7.5 }).GUIDER;
    const sampler = runNode(ksamplerSelect, { sampler_name: 'euler' }).SAMPLER;
    const sigmas = runNode(basicScheduler, { model: model.value, scheduler: 'normal', steps: 4, denoise: 1 }).SIGMAS;
    const noise = runNode(randomNoise, { noise_seed: 42 }).NOISE;
    const whole = await samplerCustomAdvanced.run({ noise, guider, sampler, sigmas, latent_image: zeroLatent() }, ctx());
    const { high_sigmas, low_sigmas } = runNode(splitSigmas, { sigmas, step: 2 });
    expect([high_sigmas.sigmas.length, low_sigmas.sigmas.length]).toEqual([3, 3]);
    const first = await samplerCustomAdvanced.run({ noise, guider, sampler, sigmas: high_sigmas, latent_image: zeroLatent() }, ctx());
    const second = await samplerCustomAdvanced.run({ noise: runNode(disableNoise, {}).NOISE, guider, sampler, sigmas: low_sigmas, latent_image: first.output }, ctx());
    expect(Array.from(second.output.samples)).toEqual(Array.from(whole.output.samples));
  });

  it('BasicGuider runs the positive only (= CFGGuider at cfg 1, the reference)', async () => {
    const guider = runNode(basicGuider, { model: model.value, conditioning: plain(prompt(4)) }).GUIDER;
    const out = await samplerCustomAdvanced.run(
      {
        noise: runNode(randomNoise, { noise_seed: 42 }).NOISE,
        guider,
        sampler: runNode(ksamplerSelect, { sampler_name: 'euler' }).SAMPLER,
        sigmas: runNode(basicScheduler, { model: model.value, scheduler: 'normal', steps: 4, denoise: 1 }).SIGMAS,
        latent_image: zeroLatent(),
      },
      ctx(),
    );
    expect(relativeError(out.output.samples, tensor('cfg1.euler.normal'))).toBeLessThanOrEqual(1e-4);
  });
});
