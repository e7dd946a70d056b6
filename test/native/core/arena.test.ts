// The activation arena's cache is bounded: freed blocks it keeps for reuse never make its footprint
// (handed-out + cached bytes) exceed the high-water mark of the call (native/src/core/arena.cc). Before
// that bound, a VAE decode of SD 1.5 with a 641 MiB peak kept 1.6 GiB resident afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, native, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';

describe('activation arena cache', () => {
  let model: ModelHandle;
  beforeAll(async () => {
    model = await loadModel('models/checkpoints/shapes-sd.safetensors', { weights: 'f32' });
  });
  afterAll(() => model.dispose());

  it('keeps at most the call peak resident across networks of different sizes', async () => {
    const context = new Float32Array(2 * 77 * model.info.unet.cross_attention_dim).fill(0.01);
    const small = new Float32Array(2 * 4 * 8 * 8).fill(0.1);
    const large = new Float32Array(1 * 4 * 24 * 24).fill(0.1);
    for (const run of [
      () => vaeDecode(model, large, [1, 4, 24, 24]),
      () => unetForward(model, small, [2, 4, 8, 8], new Float32Array([999, 1]), context),
      () => vaeDecode(model, large.subarray(0, 4 * 16 * 16), [1, 4, 16, 16]),
    ]) {
      native.memoryPeakReset();
      await run();
      const s = native.memoryStats();
      expect(s.activationsPeak).toBeGreaterThan(0);
      expect(s.activationsCurrent + s.activationsCached).toBeLessThanOrEqual(s.activationsPeak);
    }
  });

  it('memoryTrim returns every cached block', async () => {
    await vaeDecode(model, new Float32Array(4 * 8 * 8).fill(0.1), [1, 4, 8, 8]);
    native.memoryTrim();
    expect(native.memoryStats().activationsCached).toBe(0);
  });
});
