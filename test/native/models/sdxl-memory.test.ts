// SDXL's memory estimates: the UNet's measure pass covers the added (text_time) embedding and the deep
// transformers, so it equals the arena's measured peak on the tiny SDXL in every attention mode; for
// SDXL base at 1024x1024 (a 128x128 latent, batch 2 for CFG) naive attention is refused up front where
// flash fits, and auto picks flash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { estimateUnetMemory, loadModel, native, unetForward, type AttentionModeName, type ModelHandle } from '../../../native/index.ts';
import { AttentionMemoryError, planUnetAttention } from '../../../nodes/models/attention-plan.ts';
import { SDXL_UNET } from '../../helpers/sdxl-configs.ts';

const GiB = 2 ** 30;

describe('SDXL UNet memory estimates', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel('test/fixtures/sdxl/tiny-sdxl', { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it.each(['naive', 'sliced', 'flash'] as AttentionModeName[])('tiny SDXL, batch 2, 24x16 latent, %s: the estimate equals the measured arena peak', async (attention) => {
    const [batch, h, w] = [2, 24, 16];
    const latent = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i * 0.37));
    const context = new Float32Array(batch * 77 * 80).map((_, i) => Math.cos(i * 0.11));
    const added = { textEmbeds: new Float32Array(batch * 40).fill(0.5), timeIds: Float32Array.of(192, 128, 0, 0, 192, 128, 192, 128, 0, 0, 192, 128) };
    const estimate = estimateUnetMemory(model, { batch, latentHeight: h, latentWidth: w, attention });
    native.memoryPeakReset();
    const base = native.memoryStats().activationsCurrent;
    await unetForward(model, latent, [batch, 4, h, w], new Float32Array(batch).fill(500), context, { attention, added });
    expect(estimate.peakBytes).toBe(native.memoryStats().activationsPeak - base);
  });

  it('SDXL base, 1024x1024 CFG step: flash needs a fraction of naive; naive is refused up front, auto picks flash', () => {
    const shape = { batch: 2, latentHeight: 128, latentWidth: 128 };
    const naive = estimateUnetMemory(SDXL_UNET, { ...shape, attention: 'naive' });
    const flash = estimateUnetMemory(SDXL_UNET, { ...shape, attention: 'flash' });
    console.log(`SDXL base 128x128 batch 2: naive ~${(naive.peakBytes / GiB).toFixed(2)} GiB (largest attention ${(naive.attentionBytes / GiB).toFixed(2)} GiB at ${naive.breakdown.attentionAt}), flash ~${(flash.peakBytes / GiB).toFixed(2)} GiB`);
    expect(naive.attentionBytes).toBeGreaterThanOrEqual(2 * 10 * 4096 * 4096 * 4); // 10 heads x 4096^2 scores x batch 2 at the 64x64 level
    expect(naive.breakdown.attentionAt).toMatch(/^(down|up)_blocks\.1\.attentions/);
    expect(flash.peakBytes).toBeLessThan(naive.peakBytes / 2);
    const budget = Math.floor((flash.peakBytes + naive.peakBytes) / 2);
    expect(() => planUnetAttention('naive', SDXL_UNET, shape, budget)).toThrow(AttentionMemoryError);
    expect(() => planUnetAttention('naive', SDXL_UNET, shape, budget)).toThrow(/flash/);
    expect(planUnetAttention('auto', SDXL_UNET, shape, budget).mode).toBe('flash');
  });
});
