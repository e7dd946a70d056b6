// A ControlNet with a model of another family (here: the SD 1.x-shaped fixture ControlNet, context 32 wide,
// with the tiny SDXL checkpoint, context 80 wide) is refused before the first step by both samplers, naming
// the inputs and the fix; a matching pair passes. An SDXL ControlNet file is refused by the loader, naming it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadControlNet, loadModel, type ControlNetHandle, type ModelHandle } from '../../../../native/index.ts';
import controlNetApplyAdvanced from '../../../../nodes/core/controlnet-apply-advanced.ts';
import ksampler from '../../../../nodes/core/ksampler.ts';
import { checkControlsFitModel } from '../../../../nodes/sampling/comfy/control-fit.ts';
import type { Conditioning } from '../../../../nodes/sampling/comfy/conditioning.ts';
import type { ImageValue } from '../../../../nodes/socket-values.ts';
import { testContext } from '../../../helpers/node-context.ts';
import { writeSafetensors } from '../../../helpers/safetensors.ts';

let sd: ModelHandle;
let sdxl: ModelHandle;
let cn: ControlNetHandle;
beforeAll(async () => {
  sd = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
  sdxl = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
  cn = await loadControlNet('test/fixtures/controlnet/controlnet_ldm.safetensors');
});
afterAll(() => {
  cn.dispose();
  sd.dispose();
  sdxl.dispose();
});

describe('checkControlsFitModel', () => {
  it('passes a ControlNet made for the model and none at all', () => {
    expect(() => checkControlsFitModel(sd, [{ controlnet: cn }])).not.toThrow();
    expect(() => checkControlsFitModel(sdxl, [])).not.toThrow();
  });

  it('refuses an SD 1.x-shaped ControlNet on an SDXL model, naming the inputs and the fix', () => {
    expect(() => checkControlsFitModel(sdxl, [{ controlnet: cn }])).toThrow(
      /control_net input of ControlNetApply \/ ControlNetApplyAdvanced\) was made for a model with context 32 wide, but the model input is SDXL \(context 80 wide\); load a ControlNet made for this checkpoint with ControlNetLoader/,
    );
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
  it('refuses an SDXL ControlNet file (add_embedding / label_emb), naming it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-sdxl-cn-'));
    try {
      const t = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
      const diffusers = path.join(dir, 'diffusers.safetensors');
      writeSafetensors(diffusers, new Map([['controlnet_cond_embedding.conv_in.weight', t([16, 3, 3, 3])], ['add_embedding.linear_1.weight', t([128, 88])]]));
      await expect(loadControlNet(diffusers)).rejects.toThrow(/is an SDXL ControlNet \(it has add_embedding\.linear_1\.weight.*ControlNetLoader takes SD 1\.x/);
      const ldm = path.join(dir, 'ldm.safetensors');
      writeSafetensors(ldm, new Map([['control_model.input_hint_block.0.weight', t([16, 3, 3, 3])], ['control_model.label_emb.0.0.weight', t([128, 88])]]));
      await expect(loadControlNet(ldm)).rejects.toThrow(/is an SDXL ControlNet \(it has control_model\.label_emb\.0\.0\.weight/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
