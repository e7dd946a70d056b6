// ControlNetLoader with an SDXL T2I-Adapter (test/fixtures/t2i-adapter-sdxl, diffusers' layout as the released
// t2i-adapter-*-sdxl-1.0 files), applied with ControlNetApplyAdvanced and sampled by KSampler on the tiny SDXL
// checkpoint: the adapter changes the picture, weaker with a lower strength; an adapter of the other family (SD 1.x's
// on SDXL, SDXL's on SD 1.x) is refused before the first step, naming the input and the fix. The engine's placement
// of the features is checked against PyTorch in test/native/models/t2i-adapter-sdxl.test.ts.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../native/index.ts';
import controlNetApplyAdvanced from '../../../nodes/core/controlnet-apply-advanced.ts';
import controlNetLoader from '../../../nodes/core/controlnet-loader.ts';
import ksampler from '../../../nodes/core/ksampler.ts';
import { checkControlsFitModel } from '../../../nodes/sampling/comfy/control-fit.ts';
import type { Conditioning } from '../../../nodes/sampling/comfy/conditioning.ts';
import type { ControlNetValue, ImageValue } from '../../../nodes/socket-values.ts';
import { folderContext, testContext } from '../../helpers/node-context.ts';
import { relativeError } from '../sampling/comfy/reference.ts';

let models: string;
let sdxl: ModelHandle;
let sd: ModelHandle;
let xl: ControlNetValue;
let sd14: ControlNetValue;

const ctx = (nodeType: string) => folderContext(nodeType, models);

beforeAll(async () => {
  models = mkdtempSync(path.join(tmpdir(), 't2i-xl-loader-'));
  mkdirSync(path.join(models, 'controlnet'), { recursive: true });
  copyFileSync('test/fixtures/t2i-adapter-sdxl/t2i_xl_diffusers.safetensors', path.join(models, 'controlnet', 't2i-adapter-tiny-sdxl.safetensors'));
  copyFileSync('test/fixtures/t2i-adapter/t2i_full.safetensors', path.join(models, 'controlnet', 't2iadapter_tiny_sd14v1.safetensors'));
  sdxl = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
  sd = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
  xl = (await controlNetLoader.run({ control_net_name: 't2i-adapter-tiny-sdxl.safetensors', weight_dtype: 'f32' }, ctx('ControlNetLoader'))).CONTROL_NET;
  sd14 = (await controlNetLoader.run({ control_net_name: 't2iadapter_tiny_sd14v1.safetensors', weight_dtype: 'f32' }, ctx('ControlNetLoader'))).CONTROL_NET;
});
afterAll(() => {
  controlNetLoader.cache!.dispose!({ CONTROL_NET: xl });
  controlNetLoader.cache!.dispose!({ CONTROL_NET: sd14 });
  sdxl.dispose();
  sd.dispose();
  rmSync(models, { recursive: true, force: true });
});

// SDXL conditioning as CLIPTextEncodeSDXL makes it (hidden states and the pooled embedding), constant values.
const cond = (v: number): Conditioning => {
  const dim = sdxl.info.unet.cross_attention_dim;
  const pooled = (sdxl.info.unet.projection_class_embeddings_input_dim ?? 0) - 6 * (sdxl.info.unet.addition_time_embed_dim ?? 0);
  return [{ embeddings: new Float32Array(77 * dim).map((_, i) => v * Math.sin(i)), shape: [1, 77, dim], pooled: new Float32Array(pooled).fill(v) }];
};
// A 64x64 picture with a bright square (the 8x8 latent's hint size; its sides are multiples of 16, as SDXL adapters need).
const image: ImageValue = {
  data: new Float32Array(64 * 64 * 3).map((_, i) => { const p = Math.floor(i / 3), y = Math.floor(p / 64), x = p % 64; return x > 20 && x < 44 && y > 8 && y < 30 ? 1 : 0; }),
  shape: [1, 64, 64, 3],
};
const apply = (control: ControlNetValue, strength: number) =>
  controlNetApplyAdvanced.run({ positive: cond(0.3), negative: cond(-0.2), control_net: control, image, strength, start_percent: 0, end_percent: 1 }, testContext('ControlNetApplyAdvanced')) as {
    positive: Conditioning; negative: Conditioning;
  };
const run = async (c: { positive: Conditioning; negative: Conditioning }) =>
  (await ksampler.run({
    model: { model: sdxl, source: 'tiny-sdxl' }, seed: 7, steps: 3, cfg: 5, sampler_name: 'euler', scheduler: 'normal', denoise: 1, attention: 'naive', precision: 'model',
    latent_image: { samples: new Float32Array(4 * 8 * 8), shape: [1, 4, 8, 8] }, positive: c.positive, negative: c.negative,
  }, testContext('KSampler'))).LATENT.samples;

describe('ControlNetLoader with an SDXL T2I-Adapter', () => {
  it('loads diffusers\' full_adapter_xl layout as SDXL\'s adapter', () => {
    expect(xl.controlnet.info).toMatchObject({ kind: 't2i_adapter', layout: 'diffusers', hintFactor: 8, residuals: 4 });
    expect(xl.controlnet.adapterXl).toBe(true);
    expect(sd14.controlnet.adapterXl).toBe(false);
  });

  it('KSampler on the tiny SDXL checkpoint through ControlNetApplyAdvanced: the adapter changes the picture, less at a lower strength', async () => {
    const plainRun = await run({ positive: cond(0.3), negative: cond(-0.2) });
    const strong = await run(apply(xl, 1));
    const weak = await run(apply(xl, 0.2));
    expect(relativeError(strong, plainRun)).toBeGreaterThan(1e-2);
    expect(relativeError(weak, plainRun)).toBeGreaterThan(0);
    expect(relativeError(weak, plainRun)).toBeLessThan(relativeError(strong, plainRun));
  });

  it('an adapter of the other family is refused before sampling, naming the input and the fix', async () => {
    expect(() => checkControlsFitModel(sdxl, [{ controlnet: xl.controlnet }])).not.toThrow();
    expect(() => checkControlsFitModel(sd, [{ controlnet: sd14.controlnet }])).not.toThrow();
    expect(() => checkControlsFitModel(sd, [{ controlnet: xl.controlnet }])).toThrow(
      /the T2I-Adapter \(the control_net input of ControlNetApply \/ ControlNetApplyAdvanced\) was made for SDXL, but the model input is a model with context 32 wide; load an adapter made for this checkpoint with ControlNetLoader/,
    );
    await expect(run(apply(sd14, 1))).rejects.toThrow(/T2I-Adapter .* was made for SD 1.x \/ 2.x, but the model input is SDXL/);
  });
});
