// ImageCompositeMasked and LatentCompositeMasked against ComfyUI's composite() in torch (test/fixtures/image-ops).
import { describe, expect, it } from 'vitest';

import imageCompositeMasked from '../../../nodes/core/image-composite-masked.ts';
import latentCompositeMasked from '../../../nodes/core/latent-composite-masked.ts';
import { maxAbsDiff } from '../../helpers/compare.ts';
import { ref, refImage, refLatent, refMask } from '../../helpers/image-ops-reference.ts';
import { testContext } from '../../helpers/node-context.ts';

const ctx = () => testContext('ImageCompositeMasked');

describe('composite', () => {
  it('pastes a masked source cut at the right and bottom edges (batch 1 source on batch 2)', async () => {
    const out = await imageCompositeMasked.run({ destination: refImage('composite/dest'), source: refImage('composite/src'), x: 12, y: 9, resize_source: false, mask: refMask('composite/mask') }, ctx());
    expect(maxAbsDiff(out.IMAGE.data, ref('composite/image'))).toBeLessThan(1e-6);
  });

  it('resize_source scales the source to the destination first', async () => {
    const out = await imageCompositeMasked.run({ destination: refImage('composite/dest'), source: refImage('composite/src'), x: 3, y: 2, resize_source: true, mask: refMask('composite/mask') }, ctx());
    expect(maxAbsDiff(out.IMAGE.data, ref('composite/image-resize'))).toBeLessThan(1e-6);
  });

  it('without a mask the source replaces what it covers', async () => {
    const out = await imageCompositeMasked.run({ destination: refImage('composite/dest'), source: refImage('composite/src'), x: 5, y: 1, resize_source: false }, ctx());
    expect(maxAbsDiff(out.IMAGE.data, ref('composite/image-nomask'))).toBe(0);
  });

  it('LatentCompositeMasked places by x / 8 and y / 8', async () => {
    const latent = refLatent('latent');
    const source = { samples: new Float32Array(4 * 3 * 4), shape: [1, 4, 3, 4] as const };
    for (let c = 0; c < 4; c++) for (let r = 0; r < 3; r++) for (let x = 0; x < 4; x++) source.samples[(c * 3 + r) * 4 + x] = latent.samples[(c * 5 + r) * 7 + x];
    const out = await latentCompositeMasked.run({ destination: latent, source, x: 24, y: 16, resize_source: false, mask: refMask('composite/mask') }, ctx());
    expect(maxAbsDiff(out.LATENT.samples, ref('composite/latent'))).toBeLessThan(1e-6);
  });
});
