// One network's weights resident at a time: each call (encodeText, unetForward, vaeDecode) drops the
// mmap'd pages of the model's other two networks from the process (model_begin_call in
// native/src/models/model.cc), so a txt2img holds the UNet's weights while sampling and the VAE's while
// decoding. Measured on the demo model's single file with f16 weights (zero-copy views of the file),
// through the resident size of that file's mapping in /proc/self/smaps plus the weights packed once in
// place of file pages (WeightStore::derived, counted in memoryStats().weightsCurrent; the packed forms of
// the other networks go with their pages). (q8_0 weights, spilled to an unlinked file:
// test/native/io/weight-spill.test.ts.)
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, native, unetForward, vaeDecode, type ModelHandle } from '../../../native/index.ts';
import { residentBytesOf } from '../../helpers/resident.ts';

const file = path.resolve('models/checkpoints/shapes-sd.safetensors');


describe('mapped weights: one network resident at a time', () => {
  let model: ModelHandle;
  let loaded = 0; // weight memory before any call: the f32 vectors; what a call adds is packed weights
  beforeAll(async () => {
    model = await loadModel(file, { weights: 'f16' });
    loaded = native.memoryStats().weightsCurrent;
  });
  /** The model's weights held now: its file's resident pages and the weights packed from them. */
  const held = () => residentBytesOf(file) + native.memoryStats().weightsCurrent - loaded;
  afterAll(() => model.dispose());

  it('holds the text encoder, then the UNet, then the VAE', async () => {
    const { clip, unet, vae } = model.info.weightBytes; // includes the vectors converted to f32 (not mapped)
    const page = 4096, slack = 64 * page; // pages shared with a neighbouring network's tensors, the header
    const ids = new Int32Array(77).fill(49407);
    ids[0] = 49406;
    const context = await encodeText(model, ids);
    const afterClip = held();
    expect(afterClip).toBeLessThanOrEqual(clip + slack);

    const latent = new Float32Array(4 * 8 * 8).fill(0.1);
    await unetForward(model, latent, [1, 4, 8, 8], new Float32Array([500]), context);
    const afterUnet = held();
    expect(afterUnet).toBeGreaterThan(0.8 * unet);
    expect(residentBytesOf(file)).toBeLessThanOrEqual(unet + slack); // no other network's pages
    // The packed forms are padded to whole micro-panels (at the demo model's narrow layers 4% over the file's
    // bytes; SD 1.5's UNet at 8x8 packs 1483 MiB of its 1640) and pages shared by small tensors stay: 1.2x
    // measured here.
    expect(afterUnet).toBeLessThanOrEqual(1.25 * unet + slack);

    await vaeDecode(model, latent, [1, 4, 8, 8]);
    const afterVae = held();
    expect(afterVae).toBeLessThanOrEqual(vae + slack);
    expect(afterVae).toBeLessThan(0.5 * afterUnet);
    console.log(`demo model weights held (file pages + packed) after CLIP / UNet / VAE: ${[afterClip, afterUnet, afterVae].map((b) => (b / 2 ** 20).toFixed(2)).join(' / ')} MiB ` +
      `(weights: CLIP ${(clip / 2 ** 20).toFixed(2)}, UNet ${(unet / 2 ** 20).toFixed(2)}, VAE ${(vae / 2 ** 20).toFixed(2)} MiB)`);
  });

  it('maps released pages again on their next use, with the same results', async () => {
    const ids = new Int32Array(77).fill(49407);
    ids[0] = 49406;
    const first = await encodeText(model, ids);
    const latent = new Float32Array(4 * 8 * 8).fill(0.1);
    await unetForward(model, latent, [1, 4, 8, 8], new Float32Array([500]), first); // releases the text encoder's pages
    const again = await encodeText(model, ids);
    expect(again).toEqual(first);
  });
});
