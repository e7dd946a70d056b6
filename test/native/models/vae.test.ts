// The VAE against diffusers' AutoencoderKL: decode of a raw latent, encode to the posterior.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, vaeDecode, vaeEncode, type ModelHandle } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';

const fixture = 'test/fixtures/tiny-sd';
const expected = readSafetensors('test/fixtures/expected/vae.safetensors');

describe.each([
  { weights: 'f32' as const, bound: 1e-4 },
  { weights: 'f16' as const, bound: 2e-2 },
])('VAE, $weights weights', ({ weights, bound }) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights });
  });
  afterAll(() => model.dispose());

  it(`decodes latent [1, 4, 8, 8] to [1, 3, 64, 64] within ${bound} x max|ref|`, async () => {
    const out = await vaeDecode(model, f32(expected, 'latent'), [1, 4, 8, 8]);
    const err = relativeMaxError(out, f32(expected, 'decoded'));
    console.log(`VAE (${weights}) decoded: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(bound);
  });

  it(`encodes image [1, 3, 64, 64] to posterior mean and logvar within ${bound} x max|ref|`, async () => {
    const { mean, logvar } = await vaeEncode(model, f32(expected, 'image'), [1, 3, 64, 64]);
    const moments = f32(expected, 'moments'); // [1, 8, 8, 8]: mean = channels 0..3, logvar = 4..7 (unclamped)
    const errMean = relativeMaxError(mean, f32(expected, 'posterior_mean'));
    const errLogvar = relativeMaxError(logvar, f32(expected, 'posterior_logvar'));
    const errMoments = relativeMaxError(Float32Array.of(...mean, ...logvar), moments);
    console.log(
      `VAE (${weights}) encode: mean ${errMean.toExponential(2)}, logvar ${errLogvar.toExponential(2)}, ` +
        `moments ${errMoments.toExponential(2)} x max|ref|`,
    );
    expect(errMean).toBeLessThanOrEqual(bound);
    expect(errLogvar).toBeLessThanOrEqual(bound);
    expect(errMoments).toBeLessThanOrEqual(bound);
  });
});

describe('VAE, f32 weights, pipeline use and arguments', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it('decodes latent / scaling_factor as the pipeline does within 1e-4 x max|ref|', async () => {
    const k = model.info.vae.scaling_factor;
    expect(k).toBeCloseTo(0.18215, 6);
    const latent = f32(expected, 'latent').map((v) => v / k);
    const out = await vaeDecode(model, latent, [1, 4, 8, 8]);
    const err = relativeMaxError(out, f32(expected, 'decoded_from_latent_over_scaling_factor'));
    console.log(`VAE (f32) decoded_from_latent_over_scaling_factor: ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  it('decodes a non-square latent [1, 4, 3, 5] to a finite image [1, 3, 24, 40]', async () => {
    const latent = new Float32Array(4 * 3 * 5).map((_, i) => Math.sin(i));
    const out = await vaeDecode(model, latent, [1, 4, 3, 5]);
    expect(out.length).toBe(3 * 24 * 40);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('refuses wrong channel counts with BAD_SHAPE', async () => {
    await expect(vaeDecode(model, new Float32Array(3 * 64), [1, 3, 8, 8])).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /VAE decode: latent has shape \[1, 3, 8, 8\]/,
    });
    await expect(vaeEncode(model, new Float32Array(4 * 64 * 64), [1, 4, 64, 64])).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /VAE encode: image has shape/,
    });
  });
});
