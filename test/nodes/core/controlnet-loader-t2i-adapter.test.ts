// ControlNetLoader with T2I-Adapters (test/fixtures/t2i-adapter: TencentARC's full layout and diffusers'), applied
// with ControlNetApplyAdvanced and sampled by KSampler on the tiny model: the adapter changes the picture, and a
// strength-0 control inside the UNet call is the plain run exactly (the engine's features are checked against
// PyTorch in test/native/models/controlnet-t2i-adapter.test.ts).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../native/index.ts';
import controlNetApplyAdvanced from '../../../nodes/core/controlnet-apply-advanced.ts';
import controlNetLoader from '../../../nodes/core/controlnet-loader.ts';
import diffControlNetLoader from '../../../nodes/core/diff-controlnet-loader.ts';
import ksampler from '../../../nodes/core/ksampler.ts';
import type { ControlNetValue, ImageValue, ModelValue } from '../../../nodes/socket-values.ts';
import { folderContext, testContext } from '../../helpers/node-context.ts';
import { plain, prompt, relativeError } from '../sampling/comfy/reference.ts';

let models: string;
let handle: ModelHandle;
let model: ModelValue;
let full: ControlNetValue;
let diffusers: ControlNetValue;

const ctx = (nodeType: string) => folderContext(nodeType, models);

beforeAll(async () => {
  models = mkdtempSync(path.join(tmpdir(), 't2i-loader-'));
  mkdirSync(path.join(models, 'controlnet'), { recursive: true });
  copyFileSync('test/fixtures/t2i-adapter/t2i_full.safetensors', path.join(models, 'controlnet', 't2iadapter_tiny_shuffle.safetensors'));
  copyFileSync('test/fixtures/t2i-adapter/t2i_diffusers.safetensors', path.join(models, 'controlnet', 't2i_tiny_diffusers.safetensors'));
  handle = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
  model = { model: handle, source: 'tiny-sd' };
  full = (await controlNetLoader.run({ control_net_name: 't2iadapter_tiny_shuffle.safetensors', weight_dtype: 'f32' }, ctx('ControlNetLoader'))).CONTROL_NET;
  diffusers = (await controlNetLoader.run({ control_net_name: 't2i_tiny_diffusers.safetensors', weight_dtype: 'f32' }, ctx('ControlNetLoader'))).CONTROL_NET;
});
afterAll(() => {
  controlNetLoader.cache!.dispose!({ CONTROL_NET: full });
  controlNetLoader.cache!.dispose!({ CONTROL_NET: diffusers });
  handle.dispose();
  rmSync(models, { recursive: true, force: true });
});

// A 64x64 picture with a bright square (the 8x8 latent's hint size).
const image: ImageValue = {
  data: new Float32Array(64 * 64 * 3).map((_, i) => { const p = Math.floor(i / 3), y = Math.floor(p / 64), x = p % 64; return x > 20 && x < 44 && y > 8 && y < 30 ? 1 : 0; }),
  shape: [1, 64, 64, 3],
};
const zeros = () => ({ samples: new Float32Array(256), shape: [1, 4, 8, 8] as const });
const base = { seed: 42, steps: 3, cfg: 7.5, denoise: 1, attention: 'naive' as const, precision: 'model' as const };
const apply = (control: ControlNetValue, strength: number) =>
  controlNetApplyAdvanced.run({ positive: plain(prompt(4)), negative: plain(prompt(5)), control_net: control, image, strength, start_percent: 0, end_percent: 1 }, testContext('ControlNetApplyAdvanced')) as {
    positive: ReturnType<typeof plain>; negative: ReturnType<typeof plain>;
  };
const run = async (c: { positive: ReturnType<typeof plain>; negative: ReturnType<typeof plain> }) =>
  (await ksampler.run({ ...base, model, sampler_name: 'euler', scheduler: 'normal', latent_image: zeros(), positive: c.positive, negative: c.negative }, testContext('KSampler'))).LATENT.samples;

describe('ControlNetLoader with T2I-Adapters', () => {
  it('loads TencentARC\'s full layout and diffusers\' as adapters (no _shuffle pooling for an adapter); DiffControlNetLoader too', async () => {
    expect(full.controlnet.info).toMatchObject({ kind: 't2i_adapter', layout: 'full', hintFactor: 8, residuals: 4 });
    expect(full.globalAveragePooling).toBe(false);
    expect(diffusers.controlnet.info).toMatchObject({ kind: 't2i_adapter', layout: 'diffusers' });
    expect(controlNetLoader.cache!.sizeBytes!({ CONTROL_NET: full })).toBe(full.controlnet.info.weightBytes);
    const viaDiff = await diffControlNetLoader.run({ model, control_net_name: 't2i_tiny_diffusers.safetensors', weight_dtype: 'f16' }, ctx('DiffControlNetLoader'));
    expect(viaDiff.CONTROL_NET.controlnet.info).toMatchObject({ kind: 't2i_adapter', weights: 'f16', difference: false });
    viaDiff.CONTROL_NET.controlnet.dispose();
  });

  it('KSampler through ControlNetApplyAdvanced: the adapter changes the picture (both layouts alike); strength 0 in the UNet call is the plain run exactly', async () => {
    const plainRun = await run({ positive: plain(prompt(4)), negative: plain(prompt(5)) });
    const withFull = await run(apply(full, 1));
    const withDiffusers = await run(apply(diffusers, 1));
    expect(relativeError(withFull, plainRun)).toBeGreaterThan(1e-2);
    expect(withDiffusers).toEqual(withFull); // the same tensors under other names
    const weak = await run(apply(full, 0.1));
    expect(relativeError(weak, plainRun)).toBeLessThan(relativeError(withFull, plainRun));
    // ControlNetApplyAdvanced skips strength 0 itself; a link whose strength is 0 runs the adapter and adds nothing
    const zero = apply(full, 1);
    const link = { ...zero.positive[0].control!, strength: 0 };
    const c = { positive: zero.positive.map((e) => ({ ...e, control: link })), negative: zero.negative.map((e) => ({ ...e, control: link })) };
    expect(await run(c)).toEqual(plainRun);
  });
});
