// native/ts/checkpoint-files.ts: what a checkpoint path says besides its weights (diffusers config
// files, single-file sidecars read with the `yaml` package), as the engine's load configuration.
// Error cases that name the file are in test/native/io/checkpoint.test.ts (through loading).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { resolveCheckpoint, vaeScaleFactor } from '../../../native/ts/checkpoint-files.ts';
import { makeTempDir } from '../io/safetensors-files.ts';

const tinyDir = path.resolve('test/fixtures/tiny-sd');
const tinyFile = path.join(tinyDir, 'tiny-sd.safetensors');
const tmp = makeTempDir('checkpoint-files');
afterAll(() => tmp.cleanup());

/** tinyFile linked as `<name>.safetensors` with a sidecar text `<name><ext>`. */
function withSidecar(name: string, ext: string, text: string): string {
  const file = path.join(tmp.dir, `${name}.safetensors`);
  fs.symlinkSync(tinyFile, file);
  fs.writeFileSync(path.join(tmp.dir, `${name}${ext}`), text);
  return file;
}

// The tiny model described in v1-inference.yaml's mix of styles: block and flow lists, a block list at
// its key's indentation, quoted strings, comments, 1.0e-04, True/False, a leading document marker.
const v1Style = `---
model:
  base_learning_rate: 1.0e-04
  target: ldm.models.diffusion.ddpm.LatentDiffusion
  params:
    linear_start: 0.00085
    linear_end: 0.0120
    first_stage_key: "jpg"
    cond_stage_key: 'txt'
    image_size: 8
    scale_factor: 0.5   # not SD's 0.18215
    use_ema: False
    parameterization: v
    unet_config:
      target: ldm.modules.diffusionmodules.openaimodel.UNetModel
      params:
        model_channels: 32
        attention_resolutions: [ 4, 2, 1 ]
        channel_mult: [ 1, 2, 2, 2 ]
        num_heads: -1
        num_head_channels: 16
        use_spatial_transformer: True
    first_stage_config:
      params:
        ddconfig:
          ch: 32
          ch_mult:
          - 1
          - 1
          - 2
          - 2
`;

describe('resolveCheckpoint', () => {
  it('reads a diffusers folder: its three config.json files, tokenizer and scheduler', async () => {
    const r = await resolveCheckpoint(tinyDir);
    expect(r.layout).toBe('diffusers');
    expect(r.configs.unet).toEqual(JSON.parse(fs.readFileSync(path.join(tinyDir, 'unet/config.json'), 'utf8')));
    expect(r.tokenizerDir).toBe(path.join(tinyDir, 'tokenizer'));
    expect(r.schedulerConfig).toMatchObject({ num_train_timesteps: 1000 });
  });

  it('applies an LDM .yaml in v1-inference style: heads from num_head_channels, scale, sizes, v-prediction schedule', async () => {
    const r = await resolveCheckpoint(withSidecar('v1-style', '.yaml', v1Style));
    expect(r.layout).toBe('single-file');
    expect(r.configs.unet.num_attention_heads).toEqual([2, 4, 4, 4]); // widths [32, 64, 64, 64] / 16
    expect(r.configs.vae.scaling_factor).toBe(0.5);
    expect(r.configs.unet.sample_size).toBe(8);
    expect(r.configs.vae.sample_size).toBe(8 * vaeScaleFactor(r.configs.vae as { block_out_channels: number[] }));
    expect(r.schedulerConfig).toMatchObject({ beta_start: 0.00085, beta_end: 0.012, prediction_type: 'v_prediction', num_train_timesteps: 1000 });
    expect(r.sources).toEqual({}); // nothing the engine must name: the yaml's values were checked here
  });

  it('reads a .yml sidecar too, and without any sidecar keeps the inferred configuration', async () => {
    const yml = await resolveCheckpoint(withSidecar('yml', '.yml', fs.readFileSync(path.join(tinyDir, 'tiny-sd.yaml'), 'utf8')));
    expect(yml.configs.unet.sample_size).toBe(8);
    const bare = path.join(tmp.dir, 'bare.safetensors');
    fs.symlinkSync(tinyFile, bare);
    const r = await resolveCheckpoint(bare);
    expect(r.configs.unet.sample_size).toBe(64);
    expect(r.schedulerConfig).toBeNull();
  });

  it('lays a .json sidecar over the configuration and names it as the source of what it touched', async () => {
    const file = withSidecar('json', '.json', JSON.stringify({ unet: { attention_head_dim: 4 }, scheduler: { _class_name: 'DDIMScheduler' } }));
    const r = await resolveCheckpoint(file);
    expect(r.configs.unet.attention_head_dim).toBe(4);
    expect(r.configs.unet.num_attention_heads).toBeUndefined(); // diffusers' quirk: attention_head_dim is the head count
    expect(r.sources).toEqual({ unet: `sidecar "${file.replace(/safetensors$/, 'json')}" (unet)` });
    expect(r.schedulerConfig).toEqual({ _class_name: 'DDIMScheduler' });
  });

  it('refuses a yaml with aliases (no expansion bombs) naming the file', async () => {
    const file = withSidecar('alias', '.yaml', 'x: &w [32, 64]\nmodel:\n  params:\n    unet_config:\n      params:\n        widths: *w\n        num_heads: 8\n');
    const error = (await resolveCheckpoint(file).catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('SDN_STATUS_BAD_FORMAT');
    expect(error.message).toMatch(/alias\.yaml": .*alias/i);
  });
});
