import { describe, expect, it } from 'vitest';

import { unetForward } from '../../../native/index.ts';
import { unetPrecision, withUnet } from '../../../nodes/sampling/unet-session.ts';
import { testContext } from '../../helpers/node-context.ts';
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

  it("takes 'model' and absent as the loader's precision", () => {
    expect(unetPrecision(undefined)).toBeUndefined();
    expect(unetPrecision('model')).toBeUndefined();
    expect(unetPrecision('fp32')).toBe('fp32');
  });
});
