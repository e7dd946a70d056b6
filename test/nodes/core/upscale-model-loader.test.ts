// UpscaleModelLoader: lists <models>/upscale_models (subfolders too) with pickles among them, refuses a pickle at
// validation and at run saying how to convert it, and loads an RRDBNet .safetensors as UPSCALE_MODEL.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import loader from '../../../nodes/core/upscale-model-loader.ts';
import { resolveOptions, type ChoiceSpec, type NodeContext } from '../../../nodes/schema.ts';

let models: string;

function ctx(): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const paths = { models, input: models, output: models, temp: models };
  return { nodeId: '12', nodeType: 'UpscaleModelLoader', signal: new AbortController().signal, progress() {}, preview() {}, stats() {}, log, services: { paths } };
}

beforeAll(() => {
  models = mkdtempSync(path.join(tmpdir(), 'upscale-loader-'));
  mkdirSync(path.join(models, 'upscale_models', 'real'), { recursive: true });
  copyFileSync('test/fixtures/rrdbnet/old_x2.safetensors', path.join(models, 'upscale_models', 'old_x2.safetensors'));
  copyFileSync('test/fixtures/rrdbnet/new_x2.safetensors', path.join(models, 'upscale_models', 'real', 'new_x2.safetensors'));
  writeFileSync(path.join(models, 'upscale_models', 'RealESRGAN_x4plus.pth'), 'not read');
  writeFileSync(path.join(models, 'upscale_models', 'notes.txt'), 'not a model');
});
afterAll(() => rmSync(models, { recursive: true, force: true }));

describe('UpscaleModelLoader', () => {
  it('offers the .safetensors files and the pickles of <models>/upscale_models, as ComfyUI lists them', () => {
    const { options } = resolveOptions(loader.inputs.model_name as ChoiceSpec, ctx().services);
    expect(options).toEqual(['RealESRGAN_x4plus.pth', 'old_x2.safetensors', 'real/new_x2.safetensors']);
  });

  it('refuses a pickle at validation and at run, saying to convert it to .safetensors', async () => {
    const problems = loader.checkWidgets!({ model_name: 'RealESRGAN_x4plus.pth' }, ctx().services);
    expect(problems).toHaveLength(1);
    expect(problems[0].input).toBe('model_name');
    expect(problems[0].message).toMatch(/PyTorch pickle.*convert it to \.safetensors.*RealESRGAN_x4plus\.safetensors/);
    expect(loader.checkWidgets!({ model_name: 'old_x2.safetensors' }, ctx().services)).toEqual([]);
    await expect(loader.run({ model_name: 'RealESRGAN_x4plus.pth' }, ctx())).rejects.toThrow(/PyTorch pickle/);
  });

  it('loads an RRDBNet and reports its scale, from a subfolder too', async () => {
    const out = await loader.run({ model_name: 'real/new_x2.safetensors' }, ctx());
    const up = out.UPSCALE_MODEL.upscaler;
    expect(up.info).toMatchObject({ scale: 2, shuffle: 2, layout: 'new' });
    expect(loader.cache!.sizeBytes!(out)).toBe(up.info.weightBytes);
    await loader.cache!.dispose!(out);
    expect(up.disposed).toBe(true);
  });
});
