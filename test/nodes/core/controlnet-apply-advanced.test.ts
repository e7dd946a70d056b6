// ControlNetApplyAdvanced (and ControlNetApply): ComfyUI's chaining (one link per previous chain, shared by both
// sides; stacking; strength 0 a no-op), then KSampler on the tiny model with a ControlNet in both sampling paths:
// the ComfyUI path honours strength and start/end percent (the engine's residuals themselves are checked against
// PyTorch in test/native/models/controlnet.test.ts), the diffusers path refuses what its single batch cannot honour.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadControlNet, loadModel, type ControlNetHandle, type ModelHandle } from '../../../native/index.ts';
import controlNetApply from '../../../nodes/core/controlnet-apply.ts';
import controlNetApplyAdvanced from '../../../nodes/core/controlnet-apply-advanced.ts';
import ksampler from '../../../nodes/core/ksampler.ts';
import type { ControlNetValue, ImageValue, ModelValue } from '../../../nodes/socket-values.ts';
import { testContext } from '../../helpers/node-context.ts';
import { plain, prompt, relativeError } from '../sampling/comfy/reference.ts';

let handle: ModelHandle;
let model: ModelValue;
let cn: ControlNetHandle;
let controlNet: ControlNetValue;
beforeAll(async () => {
  handle = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
  model = { model: handle, source: 'tiny-sd' };
  cn = await loadControlNet('test/fixtures/controlnet/controlnet_ldm.safetensors');
  controlNet = { controlnet: cn, source: 'fixture', globalAveragePooling: false };
});
afterAll(() => {
  cn.dispose();
  handle.dispose();
});

// A 48x80 picture with a bright square: resized to the 8x8 latent's 64x64 with a center crop.
const image: ImageValue = {
  data: new Float32Array(48 * 80 * 3).map((_, i) => { const p = Math.floor(i / 3), y = Math.floor(p / 80), x = p % 80; return x > 30 && x < 50 && y > 10 && y < 30 ? 1 : 0; }),
  shape: [1, 48, 80, 3],
};
const zeros = () => ({ samples: new Float32Array(256), shape: [1, 4, 8, 8] as const });
const base = { seed: 42, steps: 3, cfg: 7.5, denoise: 1, attention: 'naive' as const, precision: 'model' as const };
const apply = (positive = plain(prompt(4)), negative = plain(prompt(5)), strength = 1, start = 0, end = 1) =>
  controlNetApplyAdvanced.run({ positive, negative, control_net: controlNet, image, strength, start_percent: start, end_percent: end }, testContext('ControlNetApplyAdvanced')) as {
    positive: ReturnType<typeof plain>; negative: ReturnType<typeof plain>;
  };

describe('ControlNetApplyAdvanced', () => {
  it('gives both sides one shared link (they batch), with the hint as [B, 3, H, W] planes; applied again, it stacks', () => {
    const once = apply();
    const link = once.positive[0].control!;
    expect(once.negative[0].control).toBe(link);
    expect(link).toMatchObject({ strength: 1, startPercent: 0, endPercent: 1, hintShape: [1, 3, 48, 80] });
    expect(link.hint[40 + 20 * 80]).toBe(1); // channel 0, row 20, column 40
    const twice = apply(once.positive, once.negative, 0.5, 0.1, 0.9);
    expect(twice.positive[0].control!.previous).toBe(link);
    expect(twice.negative[0].control).toBe(twice.positive[0].control);
  });

  it('strength 0 returns the conditioning unchanged', () => {
    const positive = plain(prompt(4)), negative = plain(prompt(5));
    const out = apply(positive, negative, 0);
    expect(out.positive).toBe(positive);
    expect(out.negative).toBe(negative);
  });

  it('ControlNetApply applies to its conditioning only', () => {
    const out = controlNetApply.run({ conditioning: plain(prompt(4)), control_net: controlNet, image, strength: 0.7 }, testContext('ControlNetApply')) as { CONDITIONING: ReturnType<typeof plain> };
    expect(out.CONDITIONING[0].control).toMatchObject({ strength: 0.7, startPercent: 0, endPercent: 1 });
  });
});

describe('KSampler with a ControlNet', () => {
  it('ComfyUI path: the control changes the picture, strength scales it, and an empty range is the plain run', async () => {
    const run = async (c: { positive: ReturnType<typeof plain>; negative: ReturnType<typeof plain> }) =>
      (await ksampler.run({ ...base, model, sampler_name: 'euler', scheduler: 'normal', latent_image: zeros(), positive: c.positive, negative: c.negative }, testContext('KSampler'))).LATENT.samples;
    const plainRun = await run({ positive: plain(prompt(4)), negative: plain(prompt(5)) });
    const full = await run(apply());
    const weak = await run(apply(undefined, undefined, 0.1));
    expect(relativeError(full, plainRun)).toBeGreaterThan(1e-2);
    expect(relativeError(weak, plainRun)).toBeLessThan(relativeError(full, plainRun));
    // start 0 .. end 0: every step's sigma is below percent_to_sigma(0), so the ControlNet never runs
    expect(relativeError(await run(apply(undefined, undefined, 1, 0, 0)), plainRun)).toBe(0);
    // start 0.99 .. end 1: only the last step (at sigma_min, below percent_to_sigma(0.99)) runs it
    const late = relativeError(await run(apply(undefined, undefined, 1, 0.99, 1)), plainRun);
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(relativeError(full, plainRun));
  });

  it('diffusers path: runs a ControlNet on both sides, refuses one on the positive side only, naming the fix', async () => {
    const both = apply();
    const out = await ksampler.run({ ...base, model, sampler_name: 'euler', scheduler: 'diffusers', latent_image: zeros(), ...both }, testContext('KSampler'));
    const plainRun = await ksampler.run({ ...base, model, sampler_name: 'euler', scheduler: 'diffusers', latent_image: zeros(), positive: plain(prompt(4)), negative: plain(prompt(5)) }, testContext('KSampler'));
    expect(relativeError(out.LATENT.samples, plainRun.LATENT.samples)).toBeGreaterThan(1e-2);
    const onlyPositive = controlNetApply.run({ conditioning: plain(prompt(4)), control_net: controlNet, image, strength: 1 }, testContext('ControlNetApply')) as { CONDITIONING: ReturnType<typeof plain> };
    await expect(ksampler.run({ ...base, model, sampler_name: 'euler', scheduler: 'diffusers', latent_image: zeros(), positive: onlyPositive.CONDITIONING, negative: plain(prompt(5)) }, testContext('KSampler')))
      .rejects.toThrow(/both need the same ControlNets; apply them with ControlNetApplyAdvanced/);
  });
});
