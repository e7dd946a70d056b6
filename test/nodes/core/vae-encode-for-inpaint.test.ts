// VAEEncodeForInpaint: the masked picture and the grown noise mask against ComfyUI's definition
// (test/fixtures/image-ops), and the latent is the VAE's encoding of that masked picture (tiny-sd fixture model).
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadModel, type ModelHandle } from '../../../native/index.ts';
import inpaintModelConditioning from '../../../nodes/core/inpaint-model-conditioning.ts';
import vaeEncodeForInpaint from '../../../nodes/core/vae-encode-for-inpaint.ts';
import { prepareInpaint } from '../../../nodes/image/inpaint.ts';
import { encodePixels } from '../../../nodes/vae/encode.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';
import { ref, refImage, refMask, refShape } from '../../helpers/image-ops-reference.ts';
import { testContext } from '../../helpers/node-context.ts';

let model: ModelHandle;
beforeAll(async () => {
  model = await loadModel(path.resolve('test/fixtures/tiny-sd'));
});
afterAll(() => model.dispose());

describe('VAEEncodeForInpaint', () => {
  it('greys the masked pixels of the centre 16x24 of a 27x21 picture (mask 9x10 resized bilinearly)', () => {
    const prepared = prepareInpaint(refImage('inpaint/pixels'), refMask('inpaint/mask'), 8);
    expect([...prepared.masked.shape]).toEqual(refShape('inpaint/masked/0'));
    expect(maxAbsDiff(prepared.masked.data, ref('inpaint/masked/0'))).toBeLessThan(1e-6);
  });

  for (const grow of [0, 3, 6])
    it(`grow_mask_by ${grow}: the noise mask, and the latent of the masked picture`, async () => {
      const vae = { model, source: 'tiny-sd' };
      const out = await vaeEncodeForInpaint.run({ pixels: refImage('inpaint/pixels'), vae, mask: refMask('inpaint/mask'), grow_mask_by: grow }, testContext('VAEEncodeForInpaint'));
      expect([...out.LATENT.noiseMask!.shape]).toEqual(refShape(`inpaint/noise_mask/${grow}`));
      expect(maxAbsDiff(out.LATENT.noiseMask!.data, ref(`inpaint/noise_mask/${grow}`))).toBe(0);
      const expected = await encodePixels(vae, refImage(`inpaint/masked/${grow}`), testContext('VAEEncode'));
      expect(out.LATENT.shape).toEqual([1, 4, 2, 3]);
      expect(maxAbsDiff(out.LATENT.samples, expected.samples)).toBeLessThan(1e-5);
    });
});

describe('InpaintModelConditioning', () => {
  it('gives the whole picture as the latent with the mask as its noise mask, and the masked picture in both conditionings', async () => {
    const vae = { model, source: 'tiny-sd' };
    const entry = { embeddings: new Float32Array(4), shape: [1, 1, 4] as const };
    const out = await inpaintModelConditioning.run(
      { positive: [entry], negative: [entry], vae, pixels: refImage('inpaint/pixels'), mask: refMask('inpaint/mask'), noise_mask: true },
      testContext('InpaintModelConditioning'),
    );
    const signal = testContext('VAEEncode');
    const prepared = prepareInpaint(refImage('inpaint/pixels'), refMask('inpaint/mask'), 8);
    expect(maxAbsDiff(out.latent.samples, (await encodePixels(vae, prepared.pixels, signal)).samples)).toBeLessThan(1e-6);
    expect(out.latent.noiseMask!.shape).toEqual([1, 16, 24]);
    const masked = (await encodePixels(vae, refImage('inpaint/masked/0'), signal)).samples;
    for (const side of [out.positive, out.negative]) expect(maxAbsDiff(side[0].concat!.latent, masked)).toBeLessThan(1e-5);
  });
});
