// VAELoader: standalone VAE files in both key layouts (LDM as vae-ft-mse-840000, diffusers' AutoencoderKL)
// decode exactly as the same weights inside their checkpoint; `taesd` is offered only with both halves in
// vae_approx; a whole checkpoint or a file that is no VAE is refused naming the fix.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { estimateUnetMemory, loadModel, native, vaeDecode, vaeEncode, type ModelHandle } from '../../../native/index.ts';
import vaeLoader from '../../../nodes/core/vae-loader.ts';
import { resolveOptions, type ChoiceSpec, type NodeContext } from '../../../nodes/schema.ts';
import { readSafetensors, writeSafetensors } from '../../helpers/safetensors.ts';

let models: string;
const disposables: { dispose(): void }[] = [];

function ctx(): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  const paths = { models, input: models, output: models, temp: models };
  return { nodeId: '3', nodeType: 'VAELoader', signal: new AbortController().signal, progress() {}, preview() {}, stats() {}, log, services: { paths } };
}

beforeAll(() => {
  models = mkdtempSync(path.join(tmpdir(), 'vae-loader-'));
  mkdirSync(path.join(models, 'vae', 'sub'), { recursive: true });
  mkdirSync(path.join(models, 'vae_approx'), { recursive: true });
  // LDM layout: the tiny checkpoint's first_stage_model.* tensors without the prefix (as vae-ft-mse-840000 ships), widened to f32.
  const single = readSafetensors('test/fixtures/tiny-sd/tiny-sd.safetensors');
  const ldm = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of single) {
    if (!name.startsWith('first_stage_model.')) continue;
    ldm.set(name.slice('first_stage_model.'.length), { shape: t.shape, data: t.dtype === 'F16' ? native.halfToF32(t.data as Uint16Array, 'f16') : (t.data as Float32Array) });
  }
  writeSafetensors(path.join(models, 'vae', 'ldm-vae.safetensors'), ldm);
  // diffusers layout: the fixture folder's VAE file as it is.
  copyFileSync('test/fixtures/tiny-sd/vae/diffusion_pytorch_model.safetensors', path.join(models, 'vae', 'sub', 'diffusers-vae.safetensors'));
});

afterAll(() => {
  for (const d of disposables) d.dispose();
  rmSync(models, { recursive: true, force: true });
});

const latent = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i * 0.7) * 1.5);

const choices = () => resolveOptions(vaeLoader.inputs.vae_name as ChoiceSpec, ctx().services).options;

async function decodeWith(model: ModelHandle) {
  return vaeDecode(model, latent, [1, 4, 8, 8]);
}

describe('VAELoader', () => {
  it('lists the .safetensors under <models>/vae (subfolders too)', () => {
    expect(choices()).toEqual(['ldm-vae.safetensors', 'sub/diffusers-vae.safetensors']);
  });

  it.each([
    ['ldm-vae.safetensors', 'test/fixtures/tiny-sd/tiny-sd.safetensors'],
    ['sub/diffusers-vae.safetensors', 'test/fixtures/tiny-sd'],
  ])('%s decodes and encodes exactly as the VAE inside %s', async (file, checkpoint) => {
    const out = await vaeLoader.run({ vae_name: file }, ctx());
    const vae = out.VAE.model!;
    disposables.push(vae);
    expect(vae.info.layout).toBe('vae');
    expect(vae.info.vae.block_out_channels).toEqual([32, 32, 64, 64]);
    const model = await loadModel(checkpoint);
    disposables.push(model);
    expect(await decodeWith(vae)).toEqual(await decodeWith(model));
    const image = new Float32Array(3 * 64 * 64).map((_, i) => Math.cos(i * 0.01));
    expect((await vaeEncode(vae, image, [1, 3, 64, 64])).mean).toEqual((await vaeEncode(model, image, [1, 3, 64, 64])).mean);
    // a VAE alone has no text encoder or UNet, and says so
    expect(() => estimateUnetMemory(vae, { batch: 1, latentHeight: 8, latentWidth: 8, attention: 'naive' })).toThrow(/is a standalone VAE: it has no UNet/);
  });

  it('offers taesd only when both halves are in vae_approx, and loads them', async () => {
    copyFileSync('models/vae_approx/taesd_decoder.safetensors', path.join(models, 'vae_approx', 'taesd_decoder.safetensors'));
    expect(choices()).not.toContain('taesd');
    copyFileSync('models/vae_approx/taesd_encoder.safetensors', path.join(models, 'vae_approx', 'taesd_encoder.safetensors'));
    expect(choices()).toContain('taesd');
    const out = await vaeLoader.run({ vae_name: 'taesd' }, ctx());
    disposables.push(out.VAE.taesd!);
    expect(out.VAE.taesd!.info.encoder).toMatch(/taesd_encoder\.safetensors$/);
    expect(out.VAE.taesd!.info.decoder).toMatch(/taesd_decoder\.safetensors$/);
  });

  it('refuses a whole checkpoint, naming the loader to use', async () => {
    copyFileSync('test/fixtures/tiny-sd/tiny-sd.safetensors', path.join(models, 'vae', 'whole.safetensors'));
    await expect(vaeLoader.run({ vae_name: 'whole.safetensors' }, ctx())).rejects.toThrow(/whole checkpoint .*CheckpointLoaderSimple/);
  });

  it('refuses a file that is not a VAE, naming what it looked for', async () => {
    writeSafetensors(path.join(models, 'vae', 'other.safetensors'), new Map([['lora_unet_x.alpha', { shape: [1], data: new Float32Array([1]) }]]));
    await expect(vaeLoader.run({ vae_name: 'other.safetensors' }, ctx())).rejects.toThrow(/not an SD 1\.x VAE: it has no decoder\.conv_in\.weight/);
    writeFileSync(path.join(models, 'vae', 'broken.safetensors'), 'not a safetensors file');
    await expect(vaeLoader.run({ vae_name: 'broken.safetensors' }, ctx())).rejects.toThrow(/broken\.safetensors/);
  });
});
