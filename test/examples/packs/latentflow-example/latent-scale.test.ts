/** The example code pack's latent-scale node (examples/packs/latentflow-example) on small hand-checked values. */
import { describe, expect, it } from 'vitest';

import latentScaleNode, { scaleLatent } from '../../../../examples/packs/latentflow-example/latent-scale.ts';
import type { Latent } from '../../../../examples/packs/latentflow-example/values.ts';
import { close, ctx, latent } from './helpers.ts';

describe('LatentScale', () => {
  it('bilinear 2x equals PyTorch F.interpolate(mode="bilinear", align_corners=False)', () => {
    // torch.nn.functional.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), scale_factor=2, mode='bilinear')
    const out = scaleLatent(latent([0, 1, 2, 3], [1, 1, 2, 2]), 2, 'bilinear');
    expect(out.shape).toEqual([1, 1, 4, 4]);
    close(out.samples, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
  });

  it('nearest-exact picks floor((dst + 0.5) * in / out): 2x repeats pixels, 3 -> 2 takes columns 0 and 2', () => {
    const up = scaleLatent(latent([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2]), 2, 'nearest-exact');
    expect(up.shape).toEqual([1, 2, 4, 4]);
    close(up.samples.subarray(0, 16), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    close(up.samples.subarray(16), [5, 5, 6, 6, 5, 5, 6, 6, 7, 7, 8, 8, 7, 7, 8, 8]);
    const down = scaleLatent(latent([0, 1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 3, 3]), 2 / 3, 'nearest-exact');
    expect(down.shape).toEqual([1, 1, 2, 2]);
    close(down.samples, [0, 2, 6, 8]);
  });

  it('scale 1 is the identity for both methods (odd sizes, 4 channels, batch 2); other keys are kept', async () => {
    const values = Array.from({ length: 2 * 4 * 3 * 5 }, (_, i) => Math.sin(i));
    for (const method of ['bilinear', 'nearest-exact'] as const) {
      const out = await latentScaleNode.run({ samples: { ...latent(values, [2, 4, 3, 5]), batch_index: [0, 1] } as never, scale_by: 1, upscale_method: method }, ctx);
      expect((out.LATENT as Latent).shape).toEqual([2, 4, 3, 5]);
      expect((out.LATENT as Latent).batch_index).toEqual([0, 1]);
      close((out.LATENT as Latent).samples, values);
    }
    // ComfyUI's size rule: round(64 * 1.5) = 96, round(5 * 1.5) = round(7.5) = 8.
    expect(scaleLatent(latent(new Array(64 * 5).fill(0), [1, 1, 64, 5]), 1.5, 'bilinear').shape).toEqual([1, 1, 96, 8]);
  });
});
