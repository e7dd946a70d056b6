import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadControlNet, loadModel, type Shape4, unetForward } from '../../../native/index.ts';
import { unetPrecision, withUnet } from '../../../nodes/sampling/unet-session.ts';
import { testContext } from '../../helpers/node-context.ts';
import { f32, readSafetensors } from '../../helpers/safetensors.ts';
import { useTinyModel } from '../../helpers/tiny-model.ts';

const tiny = useTinyModel();

describe('withUnet', () => {
  const shape = [2, 4, 8, 8] as const;
  const latent = Float32Array.from({ length: 2 * 4 * 8 * 8 }, (_, i) => Math.sin(i));

  it('calls the UNet exactly as unetForward does, with the planned mode, and reports the plan', async () => {
    const model = tiny.value.model;
    const dim = model.info.unet.cross_attention_dim;
    const context = Float32Array.from({ length: 2 * 77 * dim }, (_, i) => Math.cos(i) * 0.1);
    let stats: Record<string, unknown> = {};
    const ctx = { ...testContext('KSampler'), stats: (s: Record<string, unknown>) => void (stats = { ...stats, ...s }) };
    const run = { attention: 'naive' as const, batch: 2, latentHeight: 8, latentWidth: 8, contextTokens: 77 };
    const out = await withUnet(ctx, model, run, (unet) => unet(latent, shape, 500, context));
    const ref = await unetForward(model, latent, shape, new Float32Array([500, 500]), context, { attention: 'naive' });
    expect(out).toEqual(ref);
    expect(stats.estimatedPeakBytes).toBeGreaterThan(0);
    expect(stats.memoryBudgetBytes).toBeGreaterThan(0);
  });

  it('cancels the calls of an aborted node', async () => {
    const model = tiny.value.model;
    const controller = new AbortController();
    const ctx = testContext('KSampler', '1', controller.signal);
    const context = new Float32Array(2 * 77 * model.info.unet.cross_attention_dim);
    const run = withUnet(ctx, model, { batch: 2, latentHeight: 8, latentWidth: 8, contextTokens: 77 }, async (unet) => {
      controller.abort();
      return unet(latent, shape, 10, context);
    });
    await expect(run).rejects.toMatchObject({ code: 'SDN_STATUS_CANCELLED' });
  });

  it('resolves a Control-LoRA against its model once, runs every call with it, and reports the weights it holds', async () => {
    const model = await loadModel(path.resolve('test/fixtures/sdxl/tiny-sdxl'), { weights: 'f32' });
    const lora = await loadControlNet('test/fixtures/controlnet-sdxl/control_lora_sdxl.safetensors');
    try {
      const ref = readSafetensors('test/fixtures/controlnet-sdxl/reference_variants.safetensors');
      const [x, t, context, hint] = ['x', 't', 'context', 'hint'].map((k) => f32(ref, k));
      const added = { textEmbeds: f32(ref, 'text_embeds'), timeIds: f32(ref, 'time_ids') };
      const xShape: Shape4 = [2, 4, 16, 16];
      const control = { hint, hintShape: [2, 3, 128, 128] as Shape4, strength: 0.8 };
      let stats: Record<string, unknown> = {};
      const ctx = { ...testContext('KSampler'), stats: (s: Record<string, unknown>) => void (stats = { ...stats, ...s }) };
      const run = { attention: 'naive' as const, batch: 2, latentHeight: 16, latentWidth: 16, contextTokens: 77, controls: [{ controlnet: lora, hintBatch: 2 }] };
      const step = (unet: Parameters<Parameters<typeof withUnet>[3]>[0]) => unet(x, xShape, t[0], context, added, [{ controlnet: lora, ...control }]);
      const [first, second] = await withUnet(ctx, model, run, async (unet) => [await step(unet), await step(unet)]);
      const resolved = await lora.resolveFor(model);
      expect(first).toEqual(second);
      expect(first).toEqual(await unetForward(model, x, xShape, new Float32Array([t[0], t[0]]), context, { attention: 'naive', added, controls: [{ controlnet: resolved, ...control }] }));
      expect(stats.controlLoraWeightBytes).toBe(resolved.info.weightBytes);
    } finally {
      lora.dispose();
      model.dispose();
    }
  });

  it("takes 'model' and absent as the loader's precision", () => {
    expect(unetPrecision(undefined)).toBeUndefined();
    expect(unetPrecision('model')).toBeUndefined();
    expect(unetPrecision('fp32')).toBe('fp32');
  });
});
