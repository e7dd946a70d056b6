// Weights packed once (native/src/models/common/layers.h, WeightStore::derived): a layer whose weight is a
// view of a mapped f16 file packs it into the kernels' layout on first use (bf16 pairs for bf16 products,
// the f32 kernels' panels stored in f16 for fp32), keeps it with the model's weights and releases the file
// pages it stands in for; another network's call drops it (the UNet's packed weights go when the VAE runs,
// as its file pages do). Checked on the demo model's single file (f16), in both precisions: the same bits
// as a model whose weights are owned f32 copies (packed per call), the packed bytes counted as weight
// memory while the UNet is the active network, and the UNet's file pages out of the resident set meanwhile.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, native, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';
import { residentBytesOf } from '../../helpers/resident.ts';

const file = path.resolve('models/checkpoints/shapes-sd.safetensors');


const precisions = native.cpuFeatures().bf16 ? (['fp32', 'bf16'] as const) : (['fp32'] as const);

describe.each(precisions)('weights packed once, %s products', (precision) => {
  let mapped: ModelHandle, owned: ModelHandle;
  beforeAll(async () => {
    mapped = await loadModel(file, { weights: 'f16', precision }); // f16 views of the file: packed once
    owned = await loadModel(file, { weights: 'f32', precision }); // owned f32 copies: packed per call
  });
  afterAll(() => {
    mapped.dispose();
    owned.dispose();
  });

  const ids = new Int32Array(77).fill(49407);
  ids[0] = 49406;
  // A 32x32 latent at batch 2: the 3x3 convolutions of its first level go to Winograd (which reads the
  // f16 weight itself), the others and every linear to the implicit GEMM with the packed weight.
  const shape = [2, 4, 32, 32] as const;
  const latent = Float32Array.from({ length: 2 * 4 * 32 * 32 }, (_, i) => Math.sin(i * 0.37));

  it('gives the bits of weights packed per call, in every network', async () => {
    for (const model of [mapped, owned]) expect(model.info.precision).toBe(precision);
    const context = await encodeText(mapped, ids);
    expect(await encodeText(owned, ids)).toEqual(context);
    const both = new Float32Array(2 * 77 * context.length / 77);
    both.set(context, 0);
    both.set(context, context.length);
    const first = await unetForward(mapped, latent, shape, new Float32Array([500, 500]), both);
    expect(await unetForward(owned, latent, shape, new Float32Array([500, 500]), both)).toEqual(first);
    expect(await unetForward(mapped, latent, shape, new Float32Array([500, 500]), both)).toEqual(first); // from the kept packing
    const decoded = await vaeDecode(mapped, latent.subarray(0, 4 * 32 * 32), [1, 4, 32, 32]);
    expect(await vaeDecode(owned, latent.subarray(0, 4 * 32 * 32), [1, 4, 32, 32])).toEqual(decoded);
  });

  it('holds the packed UNet as weight memory in place of its file pages, until another network runs', async () => {
    const fresh = await loadModel(file, { weights: 'f16', precision }); // nothing packed yet
    try {
      const context = await encodeText(owned, ids); // another model: fresh's text encoder packs nothing
      const before = native.memoryStats().weightsCurrent;
      await unetForward(fresh, latent.subarray(0, 4 * 32 * 32), [1, 4, 32, 32], new Float32Array([500]), context);
      const packed = native.memoryStats().weightsCurrent - before;
      const residentUnet = residentBytesOf(file); // `mapped` and `owned` hold none of the UNet's pages now
      const unetBytes = fresh.info.weightBytes.unet;
      console.log(`${precision}: demo UNet (${(unetBytes / 2 ** 20).toFixed(2)} MiB, f16): packed once ${(packed / 2 ** 20).toFixed(2)} MiB; ` +
        `file pages resident while it is the active network: ${(residentUnet / 2 ** 20).toFixed(2)} MiB`);
      expect(packed).toBeGreaterThan(0.5 * unetBytes); // its linears and most of its convolutions
      expect(packed).toBeLessThan(1.2 * unetBytes); // 2 bytes an element, as the file (plus panel padding)
      expect(residentUnet).toBeLessThan(unetBytes - 0.5 * packed); // the packed weights' file pages were released
      // Another network's call drops them (the VAE packs its own: counted apart through a second call,
      // which adds nothing).
      await vaeDecode(fresh, latent.subarray(0, 4 * 32 * 32), [1, 4, 32, 32]);
      const vaePacked = native.memoryStats().weightsCurrent - before;
      expect(vaePacked).toBeLessThan(packed);
      await vaeDecode(fresh, latent.subarray(0, 4 * 32 * 32), [1, 4, 32, 32]);
      expect(native.memoryStats().weightsCurrent - before).toBe(vaePacked);
      await encodeText(fresh, ids);
      await unetForward(fresh, latent.subarray(0, 4 * 32 * 32), [1, 4, 32, 32], new Float32Array([500]), context);
      expect(native.memoryStats().weightsCurrent - before).toBe(packed); // packed again, the VAE's dropped
    } finally {
      fresh.dispose();
    }
  });
});
