// ControlNetLoader and DiffControlNetLoader: files from <models>/controlnet in both layouts (listed for the
// choice widget and under ComfyUI's /models/controlnet), ComfyUI's *_shuffle rule, the cache policy, and
// a diff ControlNet loaded against its model.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../native/index.ts';
import controlNetLoader from '../../../nodes/core/controlnet-loader.ts';
import diffControlNetLoader from '../../../nodes/core/diff-controlnet-loader.ts';
import { controlnetFiles, usesGlobalAveragePooling } from '../../../nodes/models/load-controlnet.ts';
import type { NodeContext } from '../../../nodes/schema.ts';

let models: string;
let model: ModelHandle;

function ctx(nodeType: string): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const paths = { models, input: models, output: models, temp: models };
  return { nodeId: '3', nodeType, signal: new AbortController().signal, progress() {}, preview() {}, stats() {}, log, services: { paths } };
}

beforeAll(async () => {
  models = mkdtempSync(path.join(tmpdir(), 'controlnet-loader-'));
  mkdirSync(path.join(models, 'controlnet', 'sd15'), { recursive: true });
  copyFileSync('test/fixtures/controlnet/controlnet_ldm.safetensors', path.join(models, 'controlnet', 'control_tiny_canny.safetensors'));
  copyFileSync('test/fixtures/controlnet/controlnet_diffusers.safetensors', path.join(models, 'controlnet', 'sd15', 'tiny_shuffle_fp16.safetensors'));
  copyFileSync('test/fixtures/controlnet-sdxl/control_lora_sdxl.safetensors', path.join(models, 'controlnet', 'control-lora-tiny_shuffle.safetensors'));
  model = await loadModel('test/fixtures/tiny-sd');
});
afterAll(() => {
  model.dispose();
  rmSync(models, { recursive: true, force: true });
});

describe('ControlNetLoader', () => {
  it('lists <models>/controlnet and loads either layout; *_shuffle files get global average pooling, as ComfyUI', async () => {
    expect(controlnetFiles({ paths: { models, input: models, output: models, temp: models } }))
      .toEqual(['control-lora-tiny_shuffle.safetensors', 'control_tiny_canny.safetensors', 'sd15/tiny_shuffle_fp16.safetensors']);
    const canny = await controlNetLoader.run({ control_net_name: 'control_tiny_canny.safetensors', weight_dtype: 'f16' }, ctx('ControlNetLoader'));
    const shuffle = await controlNetLoader.run({ control_net_name: 'sd15/tiny_shuffle_fp16.safetensors', weight_dtype: 'f32' }, ctx('ControlNetLoader'));
    try {
      expect(canny.CONTROL_NET.controlnet.info).toMatchObject({ layout: 'ldm', weights: 'f16', residuals: 13 });
      expect(canny.CONTROL_NET.globalAveragePooling).toBe(false);
      expect(shuffle.CONTROL_NET.controlnet.info.layout).toBe('diffusers');
      expect(shuffle.CONTROL_NET.globalAveragePooling).toBe(true);
      expect(controlNetLoader.cache!.sizeBytes!(canny)).toBe(canny.CONTROL_NET.controlnet.info.weightBytes);
    } finally {
      controlNetLoader.cache!.dispose!(canny);
      controlNetLoader.cache!.dispose!(shuffle);
    }
    expect(usesGlobalAveragePooling('control_v11e_sd15_shuffle.safetensors')).toBe(true);
    expect(usesGlobalAveragePooling('control_v11p_sd15_canny_fp16.safetensors')).toBe(false);
  });

  it('loads a Control-LoRA (resolved against the model when sampling starts); no global average pooling for it, as ComfyUI', async () => {
    const out = await controlNetLoader.run({ control_net_name: 'control-lora-tiny_shuffle.safetensors', weight_dtype: 'f32' }, ctx('ControlNetLoader'));
    try {
      expect(out.CONTROL_NET.controlnet.info).toMatchObject({ kind: 'control_lora', residuals: 0, config: { rank: 4 } });
      expect(out.CONTROL_NET.globalAveragePooling).toBe(false); // ComfyUI's _shuffle rule is for full ControlNets only
      expect(controlNetLoader.cache!.sizeBytes!(out)).toBe(out.CONTROL_NET.controlnet.info.weightBytes); // the file's tensors, as ComfyUI counts them
    } finally {
      controlNetLoader.cache!.dispose!(out);
    }
  });
});

describe('DiffControlNetLoader', () => {
  it('loads a full ControlNet as ControlNetLoader does (the model unused)', async () => {
    const out = await diffControlNetLoader.run({ model: { model, source: 'tiny-sd' }, control_net_name: 'control_tiny_canny.safetensors', weight_dtype: 'f32' }, ctx('DiffControlNetLoader'));
    expect(out.CONTROL_NET.controlnet.info.difference).toBe(false);
    out.CONTROL_NET.controlnet.dispose();
  });
});
