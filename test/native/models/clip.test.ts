// The CLIP text encoder against transformers' CLIPTextModel outputs for the fixture prompts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, type ModelHandle } from '../../../native/index.ts';
import { relativeMaxError } from '../../helpers/compare.ts';
import { f32, i64, readSafetensors } from '../../helpers/safetensors.ts';

const fixture = 'test/fixtures/tiny-sd';
const expected = readSafetensors('test/fixtures/expected/text_encoder.safetensors');
const ids = Int32Array.from(i64(expected, 'input_ids'), (v) => Number(v)); // [6, 77]

describe.each([
  { weights: 'f32' as const, bound: 1e-4 },
  { weights: 'f16' as const, bound: 2e-2 },
])('text encoder, $weights weights', ({ weights, bound }) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights });
  });
  afterAll(() => model.dispose());

  it(`last_hidden_state of 6 prompts within ${bound} x max|ref|`, async () => {
    const out = await encodeText(model, ids); // [6, 77, 32]
    const err = relativeMaxError(out, f32(expected, 'last_hidden_state'));
    console.log(`text encoder (${weights}) last_hidden_state: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(bound);
  });

  it(`hidden_states.N (clip skip, before the final norm) within ${bound} x max|ref|`, async () => {
    // clipSkip k = hidden_states[-k]: with 2 layers, k = 1 -> hidden_states.2, 2 -> .1, 3 -> .0 (embeddings)
    for (const [clipSkip, name] of [
      [1, 'hidden_states.2'],
      [2, 'hidden_states.1'],
      [3, 'hidden_states.0'],
    ] as const) {
      const out = await encodeText(model, ids, { clipSkip, finalLayerNorm: false });
      const err = relativeMaxError(out, f32(expected, name));
      console.log(`text encoder (${weights}) clipSkip ${clipSkip} vs ${name}: ${err.toExponential(2)} x max|ref|`);
      expect(err).toBeLessThanOrEqual(bound);
    }
  });
});

// transformers' LayerNorm over the last dimension, in double precision.
function layerNorm(x: Float32Array, dim: number, gamma: Float32Array, beta: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let mean = 0;
    let variance = 0;
    for (let d = 0; d < dim; d++) mean += x[r * dim + d] / dim;
    for (let d = 0; d < dim; d++) variance += (x[r * dim + d] - mean) ** 2 / dim;
    for (let d = 0; d < dim; d++) y[r * dim + d] = ((x[r * dim + d] - mean) / Math.sqrt(variance + eps)) * gamma[d] + beta[d];
  }
  return y;
}

describe('text encoder arguments', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it('applies the final layer norm to a skipped layer by default (diffusers clip_skip=1, A1111/ComfyUI "clip skip 2")', async () => {
    const weights = readSafetensors(`${fixture}/text_encoder/model.safetensors`);
    const reference = layerNorm(
      f32(expected, 'hidden_states.1'),
      32,
      f32(weights, 'text_model.final_layer_norm.weight'),
      f32(weights, 'text_model.final_layer_norm.bias'),
      1e-5,
    );
    const out = await encodeText(model, ids, { clipSkip: 2 });
    const err = relativeMaxError(out, reference);
    console.log(`text encoder (f32) clipSkip 2 + final norm vs final_layer_norm(hidden_states.1): ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(1e-4);
  });

  it('encodes one prompt the same alone as in a batch', async () => {
    const batch = await encodeText(model, ids);
    const single = await encodeText(model, ids.slice(4 * 77, 5 * 77));
    expect(Array.from(single)).toEqual(Array.from(batch.slice(4 * 77 * 32, 5 * 77 * 32)));
  });

  it('refuses ids outside the vocabulary, a partial prompt and an out-of-range clipSkip', async () => {
    const bad = ids.slice(0, 77);
    bad[5] = 49408;
    await expect(encodeText(model, bad)).rejects.toMatchObject({ code: 'SDN_STATUS_BAD_ARGUMENT', message: /token id 49408 at index 5/ });
    await expect(encodeText(model, ids.slice(0, 70))).rejects.toMatchObject({ code: 'SDN_STATUS_BAD_SHAPE' });
    await expect(encodeText(model, ids.slice(0, 77), { clipSkip: 4 })).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_ARGUMENT',
      message: /clipSkip 4 is out of range 1\.\.3/,
    });
  });
});
