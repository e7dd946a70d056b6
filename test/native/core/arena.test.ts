// The activation arena's cache is bounded: freed blocks it keeps for reuse never make its footprint
// (handed-out + cached bytes) exceed the larger high-water mark H of the call and the call before it, plus
// min(H, 16 MiB) of slack for blocks of other size classes when H < 64 MiB (native/src/core/arena.cc). Before that bound, a VAE decode of SD 1.5 with a 641 MiB peak kept 1.6 GiB
// resident afterwards; keeping the last call's footprint is what lets a sampling loop reuse its pages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, native, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';

const SLACK = 16 * 2 ** 20;
const bound = (high: number) => (high < 4 * SLACK ? high + Math.min(high, SLACK) : high);

describe('activation arena cache', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel('models/checkpoints/shapes-sd.safetensors', { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it('keeps at most the larger peak of the last two calls (plus its slack) resident across networks of different sizes', async () => {
    const context = new Float32Array(2 * 77 * model.info.unet.cross_attention_dim).fill(0.01);
    const small = new Float32Array(2 * 4 * 8 * 8).fill(0.1);
    const large = new Float32Array(1 * 4 * 24 * 24).fill(0.1);
    let previousPeak = 0;
    for (const run of [
      () => vaeDecode(model, large, [1, 4, 24, 24]),
      () => unetForward(model, small, [2, 4, 8, 8], new Float32Array([999, 1]), context),
      () => vaeDecode(model, large.subarray(0, 4 * 16 * 16), [1, 4, 16, 16]),
      () => unetForward(model, small, [2, 4, 8, 8], new Float32Array([999, 1]), context),
      () => unetForward(model, small, [2, 4, 8, 8], new Float32Array([999, 1]), context),
    ]) {
      native.memoryPeakReset();
      await run();
      const s = native.memoryStats();
      expect(s.activationsPeak).toBeGreaterThan(0);
      expect(s.activationsCurrent + s.activationsCached).toBeLessThanOrEqual(bound(Math.max(s.activationsPeak, previousPeak)));
      previousPeak = s.activationsPeak;
    }
    // The large VAE decode's blocks are gone once two small calls followed it.
    expect(native.memoryStats().activationsCached).toBeLessThanOrEqual(bound(previousPeak));
  });

  // Under npm run test:asan the process's page faults are ASan's allocator's (quarantined blocks, shadow memory:
  // 1915 to 4598 faults for the same call in two runs), not the arena's: the count is checked on the plain build.
  const sanitized = (process.env.LD_PRELOAD ?? '').includes('libasan');
  it.skipIf(sanitized)('reuses its pages when the same call repeats (a sampling loop): few page faults (not under ASan)', async () => {
    const latent = new Float32Array(1 * 4 * 24 * 24).fill(0.1);
    const decode = () => vaeDecode(model, latent, [1, 4, 24, 24]);
    await decode();
    await decode();
    native.memoryPeakReset();
    const faults0 = process.resourceUsage().minorPageFault;
    await decode();
    const faults = process.resourceUsage().minorPageFault - faults0;
    const peakPages = native.memoryStats().activationsPeak / 4096;
    expect(peakPages).toBeGreaterThan(4000);
    // Before the cache kept the last call's blocks, every call faulted in more than its whole peak (its
    // first cache miss freed the cache); now the blocks it repeats are reused (measured: 340 faults for
    // 7440 pages of peak; 4772 without the cache's slack).
    expect(faults).toBeLessThan(0.5 * peakPages);
  });

  it('memoryTrim returns every cached block', async () => {
    await vaeDecode(model, new Float32Array(4 * 8 * 8).fill(0.1), [1, 4, 8, 8]);
    native.memoryTrim();
    expect(native.memoryStats().activationsCached).toBe(0);
  });
});
