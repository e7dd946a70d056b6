// The UNet's memory estimate (a measure pass of UNet::forward, native/src/models/memory_estimate.h)
// against the arena's measured peak: the same code allocates the same, so it must equal the
// measurement byte for byte, on
// the fixture's tiny model and the demo model, every attention mode, sizes that cross the engine's
// switches (GEMMs with > 144 rows pack their weight into the arena; convolutions from 512 pixels),
// odd sizes, batch 1 and 2, 1 and 2 threads (flash takes one tile workspace per thread).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  estimateUnetMemory,
  isNativeError,
  loadModel,
  native,
  unetForward,
  type AttentionModeName,
  type ModelHandle,
} from '../../../native/index.ts';
import { SD15_UNET } from '../../helpers/sd15-configs.ts';


const GiB = 2 ** 30;
const modes: AttentionModeName[] = ['naive', 'sliced', 'flash'];

/** The arena's rise during one forward (its output included, as the estimate counts it). */
async function measuredPeak(model: ModelHandle, batch: number, h: number, w: number, attention: AttentionModeName, memoryLimitBytes?: number) {
  const ctx = model.info.unet.cross_attention_dim;
  const latent = new Float32Array(batch * 4 * h * w).map((_, i) => Math.sin(i * 0.37));
  const context = new Float32Array(batch * 77 * ctx).map((_, i) => Math.cos(i * 0.11));
  native.memoryPeakReset();
  const base = native.memoryStats().activationsCurrent;
  await unetForward(model, latent, [batch, 4, h, w], new Float32Array(batch).fill(500), context, { attention, memoryLimitBytes });
  return native.memoryStats().activationsPeak - base;
}

describe.each([
  { name: 'tiny fixture', path: 'test/fixtures/tiny-sd' },
  { name: 'demo model', path: 'models/diffusers/shapes-sd' },
])('UNet memory estimate, $name', ({ path }) => {
  let model: ModelHandle;
  const threads = native.threadsGet();
  beforeAll(async () => {
    model = await loadModel(path);
  });
  afterAll(() => {
    native.threadsSet(threads);
    model.dispose();
  });

  const sizes: [number, number, number][] = [
    [2, 8, 8],
    [2, 16, 12],
    [2, 13, 7],
    [1, 24, 24],
    [2, 32, 32],
  ];
  it.each(sizes)('batch %i, %ix%i latent: equals the measured arena peak in every mode', async (batch, h, w) => {
    native.threadsSet(2);
    for (const attention of modes) {
      const measured = await measuredPeak(model, batch, h, w, attention);
      const estimate = estimateUnetMemory(model, { batch, latentHeight: h, latentWidth: w, attention });
      expect(estimate.peakBytes, `${attention} at ${h}x${w}`).toBe(measured);
      const b = estimate.breakdown;
      expect(b.workspaceBytes).toBeLessThanOrEqual(estimate.peakBytes);
      expect(b.at).toMatch(/^(conv_in|time_proj|time_embedding|conv_norm_out|conv_out|(down|up)_blocks\.\d|mid_block)/); // a module of the checkpoint
      expect(b.outputBytes).toBe(Math.ceil((batch * 4 * h * w * 4) / 64) * 64); // the arena's 64-byte blocks
    }
  });

  it('follows the thread count (flash: one tile workspace per thread)', async () => {
    native.threadsSet(1);
    const one = estimateUnetMemory(model, { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'flash' });
    expect(one.peakBytes).toBe(await measuredPeak(model, 2, 16, 16, 'flash'));
    native.threadsSet(2);
    const two = estimateUnetMemory(model, { batch: 2, latentHeight: 16, latentWidth: 16, attention: 'flash' });
    expect(two.attentionBytes).toBeGreaterThan(one.attentionBytes);
  });

  it('a memory limit below the estimate refuses the run before it allocates anything', async () => {
    const estimate = estimateUnetMemory(model, { batch: 2, latentHeight: 32, latentWidth: 32, attention: 'naive' });
    const error = await measuredPeak(model, 2, 32, 32, 'naive', estimate.peakBytes - 1).catch((e: unknown) => e);
    expect(isNativeError(error) && error.code).toBe('SDN_STATUS_OUT_OF_MEMORY');
    expect((error as Error).message).toMatch(/^UNet: naive attention at a 32x32 latent, batch 2, needs ~.* MiB of working memory .*use flash attention \(needs ~/);
    expect(native.memoryStats().activationsPeak).toBe(native.memoryStats().activationsCurrent); // nothing was allocated
    expect(await measuredPeak(model, 2, 32, 32, 'naive', estimate.peakBytes)).toBe(estimate.peakBytes); // exactly enough runs
  });
});

describe('UNet memory estimate, SD 1.5 shapes (no run)', () => {
  it('naive at 128x128 (1024x1024 pixels), batch 2: 16 GiB of level-0 scores, flash needs under 512 MiB', () => {
    const query = { batch: 2, latentHeight: 128, latentWidth: 128 };
    const naive = estimateUnetMemory(SD15_UNET, { ...query, attention: 'naive' });
    expect(naive.attentionBytes).toBeGreaterThanOrEqual(2 * 8 * 16384 * 16384 * 4); // + the GEMM's packing buffer
    expect(naive.attentionBytes).toBeLessThan(16.01 * GiB);
    expect(naive.breakdown.attentionAt).toBe('down_blocks.0.attentions.0.transformer_blocks.0.attn1');
    expect(naive.peakBytes).toBeGreaterThan(16 * GiB);
    const flash = estimateUnetMemory(SD15_UNET, { ...query, attention: 'flash' });
    expect(flash.peakBytes).toBeLessThan(512 * 2 ** 20);
    expect(flash.attentionBytes).toBeLessThan(2 ** 20);
  });

  it('grows with the tokens squared for naive, linearly for flash', () => {
    const at = (size: number, attention: AttentionModeName) =>
      estimateUnetMemory(SD15_UNET, { batch: 2, latentHeight: size, latentWidth: size, attention }).peakBytes;
    expect(at(128, 'naive') / at(64, 'naive')).toBeGreaterThan(10);
    expect(at(128, 'flash') / at(64, 'flash')).toBeLessThan(4.5);
  });

  it('rejects a malformed config or query naming the field', () => {
    expect(() => estimateUnetMemory({ ...SD15_UNET, num_attention_heads: [8, 8] }, { batch: 1, latentHeight: 8, latentWidth: 8, attention: 'naive' })).toThrow(
      /UNet configuration: "num_attention_heads" has 2 entries for 4 blocks/,
    );
    expect(() => estimateUnetMemory(SD15_UNET, { batch: 0, latentHeight: 8, latentWidth: 8, attention: 'naive' })).toThrow(/batch must be >= 1, got 0/);
    expect(() => estimateUnetMemory(SD15_UNET, { batch: 1, latentHeight: 8, latentWidth: 8, attention: 'fast' as AttentionModeName })).toThrow(
      /attention must be "naive", "sliced" or "flash", got "fast"/,
    );
  });
});
