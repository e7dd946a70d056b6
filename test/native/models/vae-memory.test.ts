// The VAE decoder's memory estimate (a measure pass of AutoencoderKL::decode) against the arena's
// measured peak (equal byte for byte), and its refusal up front.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { estimateVaeDecodeMemory, isNativeError, loadModel, native, vaeDecode, type ModelHandle } from '../../../native/index.ts';
import { SD15_VAE } from '../../helpers/sd15-configs.ts';


async function measuredPeak(model: ModelHandle, batch: number, h: number, w: number, attention: 'naive' | 'flash', memoryLimitBytes?: number) {
  const latent = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i * 0.37));
  native.memoryPeakReset();
  const base = native.memoryStats().activationsCurrent;
  await vaeDecode(model, latent, [batch, 4, h, w], { attention, memoryLimitBytes });
  return native.memoryStats().activationsPeak - base;
}

describe.each(['test/fixtures/tiny-sd', 'models/diffusers/shapes-sd'])('VAE decode memory estimate, %s', (path) => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel(path);
  });
  afterAll(() => model.dispose());

  it.each([
    [1, 8, 8],
    [2, 9, 5],
    [1, 16, 16],
  ])('batch %i, %ix%i latent: equals the measured arena peak', async (batch, h, w) => {
    for (const attention of ['naive', 'flash'] as const) {
      const estimate = estimateVaeDecodeMemory(model, { batch, latentHeight: h, latentWidth: w, attention });
      expect(estimate.peakBytes, `${attention} at ${h}x${w}`).toBe(await measuredPeak(model, batch, h, w, attention));
    }
  });

  it('refuses a decode over the memory limit before allocating', async () => {
    const estimate = estimateVaeDecodeMemory(model, { batch: 1, latentHeight: 16, latentWidth: 16, attention: 'naive' });
    const error = await measuredPeak(model, 1, 16, 16, 'naive', estimate.peakBytes - 1).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^VAE decode: naive attention at a 16x16 latent, batch 1, needs ~/);
    expect(native.memoryStats().activationsPeak).toBe(native.memoryStats().activationsCurrent);
  });
});

describe('VAE decode memory estimate, SD 1.5 shapes (no run)', () => {
  it('naive at a 128x128 latent holds a 1 GiB score matrix; flash does not', () => {
    const naive = estimateVaeDecodeMemory(SD15_VAE, { batch: 1, latentHeight: 128, latentWidth: 128, attention: 'naive' });
    const flash = estimateVaeDecodeMemory(SD15_VAE, { batch: 1, latentHeight: 128, latentWidth: 128, attention: 'flash' });
    expect(naive.attentionBytes).toBeGreaterThanOrEqual(16384 * 16384 * 4);
    expect(naive.breakdown.attentionAt).toBe('decoder.mid_block.attentions.0');
    expect(flash.attentionBytes).toBeLessThan(2 ** 20);
    // The decoder's largest maps are full-size (1024x1024 x 128 channels, 512 MiB each): they dominate with flash.
    expect(flash.breakdown.at).toMatch(/^decoder\.up_blocks\.3\./);
  });
});
