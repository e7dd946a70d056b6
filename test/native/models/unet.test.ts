// The UNet against diffusers' UNet2DConditionModel (AttnProcessor) on the fixture's two latent shapes
// (8x8, and 16x12 where the up-sampling follows the skip sizes) with per-batch timesteps [999, 500].
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CancelToken, loadModel, unetForward, type ModelHandle, type Shape4 } from '../../../native/index.ts';
import { maxAbsDiff, relativeMaxError } from '../../helpers/compare.ts';
import { f32, i64, readSafetensors } from '../../helpers/safetensors.ts';

const fixture = 'test/fixtures/tiny-sd';
const expected = readSafetensors('test/fixtures/expected/unet.safetensors');
const context = f32(expected, 'encoder_hidden_states'); // [2, 77, 32]
const timesteps = Float32Array.from(i64(expected, 'timesteps'), (v) => Number(v)); // [999, 500]
const cases: { tag: string; shape: Shape4 }[] = [
  { tag: '8x8', shape: [2, 4, 8, 8] },
  { tag: '16x12', shape: [2, 4, 16, 12] },
];

describe.each([
  { weights: 'f32' as const, bound: 1e-4 },
  { weights: 'f16' as const, bound: 2e-2 },
  // q8_0 (8-bit blocks of 32 with an f16 scale): each weight within half a step, max|w| / 254 of its block;
  // measured 2.6e-2 (8x8) and 2.9e-2 (16x12) on every path (isa-paths.test.ts), the fixture's random weights
  // being q8_0's hard case (no small weights beside large ones).
  { weights: 'q8_0' as const, bound: 5e-2 },
])('UNet, $weights weights', ({ weights, bound }) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights });
  });
  afterAll(() => model.dispose());

  it.each(cases)(`noise_pred $tag (timesteps 999, 500) within ${bound} x max|ref|`, async ({ tag, shape }) => {
    const out = await unetForward(model, f32(expected, `sample_${tag}`), shape, timesteps, context);
    const err = relativeMaxError(out, f32(expected, `noise_pred_${tag}`));
    console.log(`UNet (${weights}) noise_pred_${tag}: max abs error = ${err.toExponential(2)} x max|ref|`);
    expect(err).toBeLessThanOrEqual(bound);
  });
});

describe('UNet behaviour', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(fixture, { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it('gives each batch element the result it gets alone (per-batch timesteps and context, chunked feed-forward)', async () => {
    // 24x24, batch 2: 1152 tokens at the top level, fed forward in chunks of 1024 rows (the chunk
    // boundary falls inside the second element); alone, the second element is one 576-row chunk.
    const sample = new Float32Array(2 * 4 * 24 * 24).map((_, i) => Math.sin(i * 0.37) * 1.3);
    const both = await unetForward(model, sample, [2, 4, 24, 24], timesteps, context);
    const n = 4 * 24 * 24;
    const second = await unetForward(model, sample.slice(n), [1, 4, 24, 24], timesteps.slice(1), context.slice(77 * 32));
    expect(maxAbsDiff(second, both.slice(n))).toBeLessThanOrEqual(1e-5);
  });

  it('accepts every attention mode with the same result (all exact)', async () => {
    const sample = f32(expected, 'sample_8x8');
    const naive = await unetForward(model, sample, [2, 4, 8, 8], timesteps, context, { attention: 'naive' });
    for (const attention of ['sliced', 'flash'] as const) {
      const out = await unetForward(model, sample, [2, 4, 8, 8], timesteps, context, { attention });
      expect(maxAbsDiff(out, naive)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('stops with SDN_STATUS_CANCELLED when its token is cancelled', async () => {
    const token = new CancelToken();
    token.cancel();
    expect(token.cancelled).toBe(true);
    await expect(
      unetForward(model, f32(expected, 'sample_8x8'), [2, 4, 8, 8], timesteps, context, { cancel: token }),
    ).rejects.toMatchObject({ code: 'SDN_STATUS_CANCELLED' });
  });

  it('refuses inconsistent shapes with messages that name the argument', async () => {
    const sample = f32(expected, 'sample_8x8');
    await expect(unetForward(model, sample, [2, 4, 8, 4], timesteps, context)).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /"latent" has 512 elements/,
    });
    await expect(unetForward(model, sample, [2, 4, 8, 8], timesteps.slice(1), context)).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /timesteps/,
    });
    await expect(unetForward(model, sample, [2, 4, 8, 8], timesteps, context.slice(1))).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /context/,
    });
    await expect(unetForward(model, sample, [1, 8, 8, 8], timesteps.slice(1), context.slice(77 * 32))).rejects.toMatchObject({
      code: 'SDN_STATUS_BAD_SHAPE',
      message: /expected \[B, 4, H, W\]/,
    });
  });
});
