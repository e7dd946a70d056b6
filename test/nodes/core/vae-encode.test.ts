// VAEEncode (and LoadImage -> VAEEncode): the posterior mean of the fixture image, times the scaling factor.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../native/index.ts';
import vaeEncodeNode from '../../../nodes/core/vae-encode.ts';
import type { NodeContext } from '../../../nodes/schema.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const expected = readSafetensors(path.resolve('test/fixtures/expected/vae.safetensors'));

function ctx(): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return { nodeId: '11', nodeType: 'VAEEncode', signal: new AbortController().signal, progress() {}, preview() {}, stats() {}, log, services: {} };
}

let model: ModelHandle;
beforeAll(async () => {
  model = await loadModel(path.resolve('test/fixtures/tiny-sd'));
});
afterAll(() => model.dispose());

describe('VAEEncode', () => {
  it('encodes an IMAGE to the posterior mean times the scaling factor (fixture image)', async () => {
    // The fixture image is NCHW in [-1, 1]; IMAGE is NHWC in [0, 1].
    const nchw = f32(expected, 'image');
    const data = new Float32Array(64 * 64 * 3);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 64 * 64; i++) data[i * 3 + c] = (nchw[c * 4096 + i] + 1) / 2;
    const out = await vaeEncodeNode.run({ pixels: { data, shape: [1, 64, 64, 3] }, vae: { model, source: 'tiny-sd' } }, ctx());
    const mean = f32(expected, 'posterior_mean');
    expect(out.LATENT.shape).toEqual([1, 4, 8, 8]);
    let maxDiff = 0, maxRef = 0;
    for (let i = 0; i < mean.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(out.LATENT.samples[i] - mean[i] * 0.18215));
      maxRef = Math.max(maxRef, Math.abs(mean[i] * 0.18215));
    }
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
  });

  it('cuts a picture whose sides are not multiples of 8 to its centre part first, as ComfyUI (the fixture image framed by junk)', async () => {
    // the 64x64 fixture inside a 69x70 picture, 2 rows above (69 % 8 = 5: floor(5 / 2) = 2) and 3 columns left (70 % 8 = 6: 3)
    const nchw = f32(expected, 'image');
    const H = 69, W = 70;
    const data = new Float32Array(H * W * 3).map((_, i) => (i % 7) / 6);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 64 * 64; i++) data[((Math.floor(i / 64) + 2) * W + (i % 64) + 3) * 3 + c] = (nchw[c * 4096 + i] + 1) / 2;
    const out = await vaeEncodeNode.run({ pixels: { data, shape: [1, H, W, 3] }, vae: { model, source: 'tiny-sd' } }, ctx());
    expect(out.LATENT.shape).toEqual([1, 4, 8, 8]);
    const mean = f32(expected, 'posterior_mean');
    let maxDiff = 0, maxRef = 0;
    for (let i = 0; i < mean.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs(out.LATENT.samples[i] - mean[i] * 0.18215));
      maxRef = Math.max(maxRef, Math.abs(mean[i] * 0.18215));
    }
    expect(maxDiff / maxRef).toBeLessThan(1e-4);
  });

  it('refuses a picture with a side under 8 pixels, saying what to do (the runner adds which node)', async () => {
    await expect(vaeEncodeNode.run({ pixels: { data: new Float32Array(7 * 64 * 3), shape: [1, 7, 64, 3] }, vae: { model, source: 'tiny-sd' } }, ctx())).rejects.toThrow(
      /^the picture is 64x7; the VAE needs at least 8 pixels on each side/,
    );
  });
});
