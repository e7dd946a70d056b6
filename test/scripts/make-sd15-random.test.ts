import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { inspectSafetensors, loadCheckpointInfo, readSafetensorsTensor } from '../../native/index.ts';
import { parameterCounts, SD15, sdTensorSpecs, TINY, writeRandomCheckpoint } from '../../scripts/make-sd15-random.ts';
import { SD15_UNET, SD15_VAE } from '../helpers/sd15-configs.ts';
import { makeTempDir } from '../native/io/safetensors-files.ts';

const tmp = makeTempDir('sd15-random');
afterAll(() => tmp.cleanup());

// SD 1.5's configurations (runwayml/stable-diffusion-v1-5 config.json files, in the engine's key set).
const sd15Configs = {
  clip: {
    vocab_size: 49408,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    max_position_embeddings: 77,
    layer_norm_eps: 1e-5,
    hidden_act: 'quick_gelu',
  },
  unet: SD15_UNET,
  vae: { ...SD15_VAE, mid_block_add_attention: true, use_quant_conv: true, use_post_quant_conv: true },
};

function std(values: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let sq = 0;
  for (const v of values) {
    sum += v;
    sq += v * v;
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(sq / values.length - mean * mean) };
}

describe('make-sd15-random', () => {
  it('has exactly SD 1.5 parameter counts', () => {
    expect(parameterCounts(SD15)).toEqual({ unet: 859_520_964, vae: 83_653_863, clip: 123_060_480, clipG: 0 });
  });

  it('writes the full SD 1.5 layout that the single-file loader reads with SD 1.5 configurations', async () => {
    // Header only, the data a sparse hole (zeros, no disk blocks): the layout without writing 2 GB.
    const file = path.join(tmp.dir, 'sd15-sparse.safetensors');
    const result = writeRandomCheckpoint(file, SD15, { fill: 'sparse' });
    expect(result.bytes).toBe(fs.statSync(file).size);
    expect(result.bytes).toBeGreaterThan(2.13e9);
    const info = await loadCheckpointInfo(file, 'f16');
    expect(info.configs).toEqual(sd15Configs);
    const specs = sdTensorSpecs(SD15);
    // Every tensor but the int64 position_ids buffer is a weight, kept as an f16 view or an f32 vector.
    expect(info.tensors.length).toBe(specs.unet.length + specs.vae.length + specs.clip.length - 1);
    expect(info.memory.weightsBytes).toBeLessThan(3e6);
  });

  it('writes seeded random values with the intended scales, deterministically', async () => {
    const a = writeRandomCheckpoint(path.join(tmp.dir, 'tiny-a.safetensors'), TINY, { seed: 7 });
    writeRandomCheckpoint(path.join(tmp.dir, 'tiny-b.safetensors'), TINY, { seed: 7 });
    writeRandomCheckpoint(path.join(tmp.dir, 'tiny-c.safetensors'), TINY, { seed: 8 });
    const digest = (name: string) => crypto.createHash('sha256').update(fs.readFileSync(path.join(tmp.dir, name))).digest('hex');
    expect(digest('tiny-a.safetensors')).toBe(digest('tiny-b.safetensors'));
    expect(digest('tiny-a.safetensors')).not.toBe(digest('tiny-c.safetensors'));
    expect(a.parameters).toEqual(parameterCounts(TINY));

    const file = path.join(tmp.dir, 'tiny-a.safetensors');
    expect((await inspectSafetensors(file)).metadata.format).toBe('pt');
    // conv weight [64, 64, 3, 3]: std 1/sqrt(576); norm weight: 1 + 0.1 N; bias: 0.05 N; embedding 0.5 N.
    const conv = std(await readSafetensorsTensor(file, 'model.diffusion_model.input_blocks.5.0.in_layers.2.weight'));
    expect(Math.abs(conv.std * Math.sqrt(576) - 1)).toBeLessThan(0.03);
    expect(Math.abs(conv.mean)).toBeLessThan(0.01);
    const norm = std(await readSafetensorsTensor(file, 'first_stage_model.decoder.norm_out.weight'));
    expect(Math.abs(norm.mean - 1)).toBeLessThan(0.05);
    expect(norm.std).toBeGreaterThan(0.05);
    expect(norm.std).toBeLessThan(0.15);
    const embedding = std(await readSafetensorsTensor(file, 'cond_stage_model.transformer.text_model.embeddings.token_embedding.weight'));
    expect(Math.abs(embedding.std - 0.5)).toBeLessThan(0.01);

    const loaded = await loadCheckpointInfo(file, 'f16');
    expect(loaded.configs.unet.block_out_channels).toEqual([32, 64, 64, 64]);
    expect(loaded.configs.vae.block_out_channels).toEqual([32, 32, 64, 64]);
    expect(loaded.configs.clip).toMatchObject({ hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 });
  });

  it('runs from the command line and rejects bad arguments', () => {
    const script = path.resolve('scripts/make-sd15-random.ts');
    const out = path.join(tmp.dir, 'cli.safetensors');
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', script, out, '--tiny', '--seed', '3'], { encoding: 'utf8' });
    expect(stdout).toMatch(/965 tensors, .*total 6,223,243/);
    expect(fs.statSync(out).size).toBeGreaterThan(12e6);
    const bad = spawnSync(process.execPath, ['--import', 'tsx', script, out, '--seed', 'x'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--seed must be an integer/);
  });
});
