// Inpainting UNets (9 input channels: latent, mask, masked picture's latent), from both layouts. The models are the
// tiny fixture with conv_in widened to 9 input channels: with the new weights zero, the mask and masked latent
// cannot change anything, so sampling must give exactly what the 4-channel model gives; with them non-zero, what
// is fed in (the mask, the masked latent) changes the result.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../../native/index.ts';
import ksampler from '../../../../nodes/core/ksampler.ts';
import { inpaintConcat } from '../../../../nodes/sampling/comfy/inpaint-concat.ts';
import type { ConditioningValue, LatentValue } from '../../../../nodes/socket-values.ts';
import { relativeMaxError } from '../../../helpers/compare.ts';
import { testContext } from '../../../helpers/node-context.ts';
import { readSafetensors, writeSafetensors } from '../../../helpers/safetensors.ts';

const FIXTURE = path.resolve('test/fixtures/tiny-sd');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-inpaint-unet-'));
const handles: ModelHandle[] = [];
afterAll(() => {
  for (const h of handles) h.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes `file` with the 4-in-channel conv weight `key` widened to 9 (extra weights `fill(i)`). */
function widen(source: string, target: string, key: string, fill: (i: number) => number): void {
  const tensors = readSafetensors(source);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) {
    if (t.data instanceof BigInt64Array) throw new Error(`${name} is ${t.dtype}; the test widens float files`);
    out.set(name, { shape: t.shape, data: t.data instanceof Uint16Array ? halfToFloat(t.data) : t.data });
  }
  const w = out.get(key)!;
  const [co, ci, kh, kw] = w.shape;
  const k = kh * kw;
  const data = new Float32Array(co * 9 * k);
  for (let o = 0; o < co; o++)
    for (let i = 0; i < 9; i++)
      for (let j = 0; j < k; j++) data[(o * 9 + i) * k + j] = i < ci ? w.data[(o * ci + i) * k + j] : fill(o * 100 + i * 10 + j);
  out.set(key, { shape: [co, 9, kh, kw], data });
  writeSafetensors(target, out);
}

/** IEEE half bits -> float32 (the single file keeps some tensors in f16; the rewrite stores all as f32). */
function halfToFloat(bits: Uint16Array): Float32Array {
  return Float32Array.from(bits, (h) => {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) return sign * frac * 2 ** -24;
    if (exp === 31) return frac ? NaN : sign * Infinity;
    return sign * (1 + frac / 1024) * 2 ** (exp - 15);
  });
}

function diffusersInpaint(name: string, fill: (i: number) => number): string {
  const target = path.join(dir, name);
  fs.cpSync(FIXTURE, target, { recursive: true });
  fs.rmSync(path.join(target, 'unet', 'diffusion_pytorch_model.fp16.safetensors'), { force: true });
  fs.rmSync(path.join(target, 'tiny-sd.safetensors'));
  fs.rmSync(path.join(target, 'tiny-sd.yaml'));
  widen(path.join(FIXTURE, 'unet', 'diffusion_pytorch_model.safetensors'), path.join(target, 'unet', 'diffusion_pytorch_model.safetensors'), 'conv_in.weight', fill);
  const config = JSON.parse(fs.readFileSync(path.join(target, 'unet', 'config.json'), 'utf8'));
  fs.writeFileSync(path.join(target, 'unet', 'config.json'), JSON.stringify({ ...config, in_channels: 9 }));
  return target;
}

function singleFileInpaint(name: string, fill: (i: number) => number): string {
  const target = path.join(dir, `${name}.safetensors`);
  widen(path.join(FIXTURE, 'tiny-sd.safetensors'), target, 'model.diffusion_model.input_blocks.0.0.weight', fill);
  fs.writeFileSync(target.replace(/\.safetensors$/, '.yaml'), fs.readFileSync(path.join(FIXTURE, 'tiny-sd.yaml'), 'utf8').replace(/^(\s+)in_channels: 4$/m, '$1in_channels: 9'));
  return target;
}

async function load(file: string): Promise<ModelHandle> {
  const handle = await loadModel(file, { weights: 'f32' });
  handles.push(handle);
  return handle;
}

const text: ConditioningValue = [{ embeddings: new Float32Array(77 * 32).map((_, i) => Math.sin(i) * 0.5), shape: [1, 77, 32] }];
const empty: ConditioningValue = [{ embeddings: new Float32Array(77 * 32), shape: [1, 77, 32] }];
const maskData = new Float32Array(64).map((_, i) => (i % 8 < 4 ? 1 : 0));
const latent = (): LatentValue => ({
  samples: new Float32Array(4 * 64).map((_, i) => Math.cos(i) * 0.7),
  shape: [1, 4, 8, 8],
  noiseMask: { data: maskData, shape: [1, 8, 8] },
});

async function sample(model: ModelHandle, latentImage: LatentValue, positive = text): Promise<Float32Array> {
  const out = await ksampler.run(
    { model: { model, source: 'test' }, seed: 5, steps: 3, cfg: 4, sampler_name: 'euler', scheduler: 'normal', positive, negative: empty, latent_image: latentImage, denoise: 1, attention: 'auto', precision: 'model' },
    testContext('KSampler'),
  );
  return out.LATENT.samples;
}

describe('inpainting UNets', () => {
  it('the concat channels: the rounded mask, then the input latent (the noise mask and latent when no InpaintModelConditioning)', () => {
    const value = latent();
    value.noiseMask = { data: new Float32Array(64).fill(0.5).map((v, i) => (i < 8 ? 0.51 : v)), shape: [1, 8, 8] };
    const concat = inpaintConcat(value, text);
    expect(concat.length).toBe(5 * 64);
    expect(Array.from(concat.subarray(0, 10))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]); // 0.5 rounds to 0 (half to even)
    expect(concat.subarray(64)).toEqual(value.samples);
    expect(() => inpaintConcat({ ...value, noiseMask: undefined }, text)).toThrow(/needs a mask/);
  });

  for (const layout of ['diffusers folder', 'single file'] as const)
    it(`load from a ${layout} and sample; zero extra weights give the 4-channel model's result`, async () => {
      const make = layout === 'diffusers folder' ? diffusersInpaint : singleFileInpaint;
      const base = await load(layout === 'diffusers folder' ? FIXTURE : path.join(FIXTURE, 'tiny-sd.safetensors'));
      const zero = await load(make(`zero-${layout.replace(' ', '-')}`, () => 0));
      expect(zero.info.unet.in_channels).toBe(9);
      const expected = await sample(base, latent());
      expect(relativeMaxError(await sample(zero, latent()), expected)).toBeLessThan(1e-5);
      const live = await load(make(`live-${layout.replace(' ', '-')}`, (i) => Math.sin(i) * 0.3));
      const withMask = await sample(live, latent());
      expect(relativeMaxError(withMask, expected)).toBeGreaterThan(1e-3);
      // A different masked latent (InpaintModelConditioning's) changes what the model sees.
      const concat = { latent: new Float32Array(4 * 64).fill(0.3), latentShape: [1, 4, 8, 8] as const, mask: maskData, maskShape: [1, 8, 8] as const };
      const withConcat = await sample(live, latent(), [{ ...text[0], concat }]);
      expect(relativeMaxError(withConcat, withMask)).toBeGreaterThan(1e-3);
    });

  it('the diffusers schedulers refuse an inpainting model, saying what to pick', async () => {
    const model = await load(diffusersInpaint('refuse', () => 0));
    await expect(
      ksampler.run(
        { model: { model, source: 'test' }, seed: 5, steps: 2, cfg: 4, sampler_name: 'ddim', scheduler: 'diffusers', positive: text, negative: empty, latent_image: latent(), denoise: 1, attention: 'auto', precision: 'model' },
        testContext('KSampler'),
      ),
    ).rejects.toThrow(/pick a ComfyUI scheduler/);
  });
});
