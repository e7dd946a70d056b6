// Loading whole models: the demo model runs end to end, info and memory are reported, broken
// checkpoints fail at load time naming the tensor, dispose and activations behave.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, native, unetForward, vaeDecode, vaeScaleFactor, type ModelHandle } from '../../../native/index.ts';
import { readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

const fixture = 'test/fixtures/tiny-sd';
const demo = 'models/diffusers/shapes-sd';

// Token ids of "a red circle" (bos, a, red, circle, eos, padded with eos) from the CLIP vocabulary.
function promptIds(dir: string, words: string[]): Int32Array {
  const vocab = JSON.parse(readFileSync(path.join(dir, 'tokenizer/vocab.json'), 'utf8')) as Record<string, number>;
  const ids = new Int32Array(77).fill(vocab['<|endoftext|>']);
  ids[0] = vocab['<|startoftext|>'];
  words.forEach((w, i) => (ids[i + 1] = vocab[`${w}</w>`]));
  return ids;
}

describe('demo model (shapes-sd, f16 files)', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(demo, { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it('reports its configuration, files and weight sizes', () => {
    const { info } = model;
    expect(info.layout).toBe('diffusers');
    expect(info.weights).toBe('f32');
    expect(info.unet.block_out_channels).toEqual([64, 64, 64, 64]);
    expect(info.unet.num_attention_heads).toEqual([8, 8, 8, 8]);
    expect(info.clip).toMatchObject({ hidden_size: 64, num_hidden_layers: 3, hidden_act: 'quick_gelu' });
    expect(info.vae).toMatchObject({ layers_per_block: 1 });
    expect(vaeScaleFactor(info.vae)).toBe(8);
    expect(info.vae.scaling_factor).toBeCloseTo(0.30369, 5);
    expect(info.tokenizerDir).toBe(path.join(demo, 'tokenizer'));
    expect(info.schedulerConfig).toMatchObject({ num_train_timesteps: 1000, beta_schedule: 'scaled_linear' });
    // 8.65 M parameters widened to f32
    const total = info.weightBytes.clip + info.weightBytes.unet + info.weightBytes.vae;
    expect(total).toBeGreaterThan(8.6e6 * 4);
    expect(total).toBeLessThan(8.7e6 * 4);
  });

  it('runs text encoder, one CFG UNet step and a decode with finite outputs', async () => {
    const ids = new Int32Array([...promptIds(demo, ['a', 'red', 'circle']), ...promptIds(demo, [])]);
    const context = await encodeText(model, ids); // [2, 77, 64]
    expect(context.length).toBe(2 * 77 * 64);
    const latent = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i * 12.9898) * 1.5);
    const batch = new Float32Array([...latent, ...latent]);
    const eps = await unetForward(model, batch, [2, 4, 8, 8], new Float32Array([981, 981]), context);
    expect(eps.length).toBe(2 * 4 * 8 * 8);
    expect(eps.every(Number.isFinite)).toBe(true);
    // conditional and unconditional predictions differ: the text reaches the UNet
    let diff = 0;
    for (let i = 0; i < 256; i++) diff = Math.max(diff, Math.abs(eps[i] - eps[256 + i]));
    expect(diff).toBeGreaterThan(1e-3);
    const image = await vaeDecode(model, latent.map((v) => v / model.info.vae.scaling_factor), [1, 4, 8, 8]);
    expect(image.length).toBe(3 * 64 * 64);
    expect(image.every(Number.isFinite)).toBe(true);
  });

  it('returns every activation to the arena after a run (current bytes back to where they were)', async () => {
    const before = native.memoryStats().activationsCurrent;
    native.memoryPeakReset();
    const ids = promptIds(demo, ['a', 'blue', 'square']);
    const context = await encodeText(model, ids);
    await unetForward(model, new Float32Array(4 * 64).fill(0.5), [1, 4, 8, 8], new Float32Array([500]), context);
    const after = native.memoryStats();
    expect(after.activationsCurrent).toBe(before);
    expect(after.activationsPeak).toBeGreaterThan(before);
  });
});

describe('model handles', () => {
  it('keeps the weights of a run in progress when disposed, and refuses calls afterwards', async () => {
    const model = await loadModel(fixture, { weights: 'f16' });
    expect(model.info.weights).toBe('f16');
    const ids = new Int32Array(77).fill(49407);
    const run = encodeText(model, ids);
    model.dispose();
    expect(model.disposed).toBe(true);
    expect((await run).length).toBe(77 * 32);
    await expect(encodeText(model, ids)).rejects.toMatchObject({ code: 'SDN_STATUS_BAD_ARGUMENT', message: /disposed/ });
  });

  it('stores f16 weights in half the bytes of f32', async () => {
    const full = await loadModel(fixture, { weights: 'f32' });
    const half = await loadModel(fixture, { weights: 'f16' });
    const ratio = half.info.weightBytes.unet / full.info.weightBytes.unet;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(0.52); // biases and norms stay f32
    full.dispose();
    half.dispose();
  });
});

describe('broken checkpoints fail at load time', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'latentflow-models-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A copy of the fixture with fp32 files only, the UNet passed through `edit`.
  function brokenCopy(name: string, edit: (unet: Map<string, { shape: number[]; data: Float32Array }>, config: Record<string, unknown>) => void): string {
    const target = path.join(dir, name);
    cpSync(fixture, target, {
      recursive: true,
      filter: (src) => !src.endsWith('.fp16.safetensors') && !src.endsWith('tiny-sd.safetensors'),
    });
    const unetFile = path.join(target, 'unet/diffusion_pytorch_model.safetensors');
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [k, v] of readSafetensors(unetFile)) tensors.set(k, { shape: v.shape, data: v.data as Float32Array });
    const configFile = path.join(target, 'unet/config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    edit(tensors, config);
    writeSafetensors(unetFile, tensors);
    writeFileSync(configFile, JSON.stringify(config));
    return target;
  }

  it('names a missing UNet tensor', async () => {
    const target = brokenCopy('missing', (unet) => unet.delete('up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_k.weight'));
    await expect(loadModel(target)).rejects.toMatchObject({
      code: 'SDN_STATUS_MISSING_TENSOR',
      message: /UNet: weight "up_blocks\.1\.attentions\.2\.transformer_blocks\.0\.attn2\.to_k\.weight" is missing/,
    });
  });

  it('names a tensor whose shape does not fit the configuration', async () => {
    const target = brokenCopy('shape', (_unet, config) => (config.cross_attention_dim = 48));
    await expect(loadModel(target)).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /"down_blocks\.0\.attentions\.0\.transformer_blocks\.0\.attn2\.to_k\.weight" has shape \[32, 32\], the configuration expects \[32, 48\]/,
    });
  });

  it('says when the path is not a model', async () => {
    await expect(loadModel(path.join(dir, 'nothing-here'))).rejects.toMatchObject({ code: 'SDN_STATUS_IO_ERROR', message: /does not exist/ });
  });
});

describe('the two layouts of one model', () => {
  it('give identical outputs: diffusers folder (fp16 variant) and single file, f16 storage', async () => {
    const folder = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f16' });
    const single = await loadModel(path.resolve('test/fixtures/tiny-sd/tiny-sd.safetensors'), { weights: 'f16' });
    try {
      const ids = new Int32Array(77).fill(49407);
      ids[0] = 49406;
      ids[1] = 320;
      const [c1, c2] = await Promise.all([encodeText(folder, ids), encodeText(single, ids)]);
      expect(Buffer.from(c1.buffer).equals(Buffer.from(c2.buffer))).toBe(true);
      const latent = new Float32Array(4 * 8 * 8).map((_, i) => Math.cos(i));
      const [e1, e2] = await Promise.all([
        unetForward(folder, latent, [1, 4, 8, 8], new Float32Array([500]), c1),
        unetForward(single, latent, [1, 4, 8, 8], new Float32Array([500]), c2),
      ]);
      expect(Buffer.from(e1.buffer).equals(Buffer.from(e2.buffer))).toBe(true);
      const [d1, d2] = await Promise.all([vaeDecode(folder, latent, [1, 4, 8, 8]), vaeDecode(single, latent, [1, 4, 8, 8])]);
      expect(Buffer.from(d1.buffer).equals(Buffer.from(d2.buffer))).toBe(true);
    } finally {
      folder.dispose();
      single.dispose();
    }
  });
});
