// A ControlNet with a model of another family (here: the SD 1.x-shaped fixture ControlNet, context 32 wide,
// with the tiny SDXL checkpoint, context 80 wide; the tiny SDXL ControlNet with the tiny SD 1.x model; an SDXL
// ControlNet whose added conditioning is another width) is refused before the first step by both samplers, naming
// the inputs and the fix; a matching pair passes. ControlNetLoader reads an SDXL ControlNet's <name>.json sidecar.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type ControlNetConfig, loadControlNet, loadModel, type ControlNetHandle, type ModelHandle } from '../../../../native/index.ts';
import controlNetApplyAdvanced from '../../../../nodes/core/controlnet-apply-advanced.ts';
import ksampler from '../../../../nodes/core/ksampler.ts';
import { controlnetSidecar, loadControlNetByName } from '../../../../nodes/models/load-controlnet.ts';
import { checkControlsFitModel } from '../../../../nodes/sampling/comfy/control-fit.ts';
import type { Conditioning } from '../../../../nodes/sampling/comfy/conditioning.ts';
import type { ImageValue } from '../../../../nodes/socket-values.ts';
import { testContext } from '../../../helpers/node-context.ts';

let sd: ModelHandle;
let sdxl: ModelHandle;
let cn: ControlNetHandle;
let xlcn: ControlNetHandle;
const xlConfig = JSON.parse(fs.readFileSync('test/fixtures/controlnet-sdxl/controlnet_sdxl_diffusers.json', 'utf8')) as Partial<ControlNetConfig>;
beforeAll(async () => {
  sd = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
  sdxl = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
  cn = await loadControlNet('test/fixtures/controlnet/controlnet_ldm.safetensors');
  xlcn = await loadControlNet('test/fixtures/controlnet-sdxl/controlnet_sdxl_diffusers.safetensors', { config: xlConfig });
});
afterAll(() => {
  cn.dispose();
  xlcn.dispose();
  sd.dispose();
  sdxl.dispose();
});

describe('checkControlsFitModel', () => {
  it('passes a ControlNet made for the model and none at all', () => {
    expect(() => checkControlsFitModel(sd, [{ controlnet: cn }])).not.toThrow();
    expect(() => checkControlsFitModel(sdxl, [{ controlnet: xlcn }])).not.toThrow();
    expect(() => checkControlsFitModel(sdxl, [])).not.toThrow();
  });

  it('refuses an SD 1.x-shaped ControlNet on an SDXL model, naming the inputs and the fix', () => {
    expect(() => checkControlsFitModel(sdxl, [{ controlnet: cn }])).toThrow(
      /control_net input of ControlNetApply \/ ControlNetApplyAdvanced\) was made for a model with context 32 wide, but the model input is SDXL \(context 80 wide, with pooled text and size conditioning\); load a ControlNet made for this checkpoint with ControlNetLoader/,
    );
  });

  it('refuses an SDXL ControlNet on an SD 1.x model, and one whose added conditioning is another width', () => {
    expect(() => checkControlsFitModel(sd, [{ controlnet: xlcn }])).toThrow(
      /was made for SDXL \(context 80 wide, with pooled text and size conditioning\), but the model input is a model with context 32 wide; load a ControlNet made for this checkpoint/,
    );
    const other = { handle: xlcn.handle, hintChannels: 3, hintFactor: 8, contextWidth: 80, addedWidth: 2816 };
    expect(() => checkControlsFitModel(sdxl, [{ controlnet: other }])).toThrow(/with added conditioning 2816 wide, but the model input is SDXL .* with added conditioning 88 wide; load a ControlNet made for this checkpoint/);
  });

  it('checks a ControlNet that reads no context (transformer depth 0 everywhere) on its added conditioning only', async () => {
    const small = await loadControlNet('test/fixtures/controlnet-sdxl/controlnet_sdxl_small_ldm.safetensors', {
      config: JSON.parse(fs.readFileSync('test/fixtures/controlnet-sdxl/controlnet_sdxl_small_ldm.json', 'utf8')) as Partial<ControlNetConfig>,
    });
    try {
      expect(small.contextWidth).toBeUndefined();
      expect(() => checkControlsFitModel(sdxl, [{ controlnet: small }])).not.toThrow();
      expect(() => checkControlsFitModel(sd, [{ controlnet: small }])).toThrow(
        /was made for SDXL \(no text attention, with pooled text and size conditioning\), but the model input is a model with context 32 wide; load a ControlNet made for this checkpoint/,
      );
    } finally {
      small.dispose();
    }
  });

  it('KSampler refuses the pair before sampling', async () => {
    const dim = sdxl.info.unet.cross_attention_dim;
    const pooledWidth = (sdxl.info.unet.projection_class_embeddings_input_dim ?? 0) - 6 * (sdxl.info.unet.addition_time_embed_dim ?? 0);
    const cond = (v: number): Conditioning => [{ embeddings: new Float32Array(77 * dim).fill(v), shape: [1, 77, dim], pooled: new Float32Array(pooledWidth).fill(v) }];
    const image: ImageValue = { data: new Float32Array(64 * 64 * 3).fill(0.5), shape: [1, 64, 64, 3] };
    const applied = controlNetApplyAdvanced.run(
      { positive: cond(0.1), negative: cond(-0.1), control_net: { controlnet: cn, source: 'fixture', globalAveragePooling: false }, image, strength: 1, start_percent: 0, end_percent: 1 },
      testContext('ControlNetApplyAdvanced'),
    ) as { positive: Conditioning; negative: Conditioning };
    const latent = { samples: new Float32Array(4 * 8 * 8), shape: [1, 4, 8, 8] as const };
    for (const scheduler of ['normal', 'diffusers'] as const) {
      const run = ksampler.run({
        model: { model: sdxl, source: 'tiny-sdxl' }, seed: 1, steps: 2, cfg: 5, sampler_name: 'euler', scheduler, denoise: 1, attention: 'naive', precision: 'model',
        latent_image: latent, positive: applied.positive, negative: applied.negative,
      }, testContext('KSampler'));
      await expect(run).rejects.toThrow(/made for a model with context 32 wide, but the model input is SDXL/);
    }
  });
});

describe('ControlNetLoader and SDXL ControlNets', () => {
  it('loads an SDXL ControlNet with the config.json beside it (<name>.json, or a diffusers folder\'s config.json), and says what is wrong with a bad sidecar', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sdxl-cn-'));
    try {
      fs.mkdirSync(path.join(dir, 'controlnet'));
      const file = path.join(dir, 'controlnet', 'xl.safetensors');
      fs.symlinkSync(path.resolve('test/fixtures/controlnet-sdxl/controlnet_sdxl_ldm.safetensors'), file);
      // without the sidecar the tiny widths cannot be told apart (the engine says to give the config.json)
      await expect(loadControlNetByName(dir, 'xl.safetensors', 'f32')).rejects.toThrow(/as a \.json file of the same name beside it/);
      fs.writeFileSync(path.join(dir, 'controlnet', 'xl.json'), JSON.stringify(xlConfig));
      expect(controlnetSidecar(file)).toEqual(xlConfig);
      const value = await loadControlNetByName(dir, 'xl.safetensors', 'f32');
      expect(value.controlnet.addedWidth).toBe(88);
      expect(value.controlnet.info.layout).toBe('ldm');
      value.controlnet.dispose();
      fs.writeFileSync(path.join(dir, 'controlnet', 'xl.json'), JSON.stringify({ description: 'notes of another tool', 'sd version': 'SDXL' }));
      expect(controlnetSidecar(file)).toBeUndefined(); // not a ControlNetModel config.json: ignored
      fs.writeFileSync(path.join(dir, 'controlnet', 'xl.json'), '{ not json');
      expect(() => controlnetSidecar(file)).toThrow(/sidecar ".*xl\.json" is not valid JSON .*fix it or remove it/);
      // a diffusers folder: config.json beside diffusion_pytorch_model.safetensors
      fs.mkdirSync(path.join(dir, 'controlnet', 'canny-xl'));
      const inFolder = path.join(dir, 'controlnet', 'canny-xl', 'diffusion_pytorch_model.safetensors');
      fs.symlinkSync(path.resolve('test/fixtures/controlnet-sdxl/controlnet_sdxl_diffusers.safetensors'), inFolder);
      fs.writeFileSync(path.join(dir, 'controlnet', 'canny-xl', 'config.json'), JSON.stringify(xlConfig));
      const folder = await loadControlNetByName(dir, 'canny-xl/diffusion_pytorch_model.safetensors', 'f32');
      expect(folder.controlnet.info.layout).toBe('diffusers');
      expect(folder.controlnet.addedWidth).toBe(88);
      folder.controlnet.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
