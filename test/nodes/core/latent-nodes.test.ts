// The latent nodes by hand (the resize filters and composite are checked against torch in test/nodes/image).
import { describe, expect, it } from 'vitest';

import latentBatch from '../../../nodes/core/latent-batch.ts';
import latentComposite from '../../../nodes/core/latent-composite.ts';
import latentCrop from '../../../nodes/core/latent-crop.ts';
import latentFlip from '../../../nodes/core/latent-flip.ts';
import latentFromBatch from '../../../nodes/core/latent-from-batch.ts';
import latentRotate from '../../../nodes/core/latent-rotate.ts';
import repeatLatentBatch from '../../../nodes/core/repeat-latent-batch.ts';
import setLatentNoiseMask from '../../../nodes/core/set-latent-noise-mask.ts';
import { testContext } from '../../helpers/node-context.ts';

const ctx = () => testContext('latent');
/** [b, 1, h, w] counting from `start`. */
const counting = (b: number, h: number, w: number, start = 0) => ({ samples: new Float32Array(b * h * w).map((_, i) => start + i), shape: [b, 1, h, w] as const });

describe('latent nodes', () => {
  it('LatentBatch appends; RepeatLatentBatch repeats the batch (and a multi-entry noise mask)', async () => {
    const both = (await latentBatch.run({ samples1: counting(1, 2, 2), samples2: counting(1, 2, 2, 10) }, ctx())).LATENT;
    expect(both.shape).toEqual([2, 1, 2, 2]);
    expect(Array.from(both.samples)).toEqual([0, 1, 2, 3, 10, 11, 12, 13]);
    const masked = { ...counting(2, 1, 1), noiseMask: { data: Float32Array.of(0, 1), shape: [2, 1, 1] as const } };
    const repeated = (await repeatLatentBatch.run({ samples: masked, amount: 3 }, ctx())).LATENT;
    expect(Array.from(repeated.samples)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(Array.from(repeated.noiseMask!.data)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('LatentFromBatch takes length items from batch_index, cut to the batch', async () => {
    const out = (await latentFromBatch.run({ samples: counting(4, 1, 1), batch_index: 2, length: 5 }, ctx())).LATENT;
    expect(Array.from(out.samples)).toEqual([2, 3]);
    expect(out.shape).toEqual([2, 1, 1, 1]);
  });

  it('LatentCrop works in pixels / 8 and keeps x, y 8 cells from the far edge', async () => {
    const out = (await latentCrop.run({ samples: counting(1, 10, 10), width: 64, height: 64, x: 40, y: 8 }, ctx())).LATENT;
    // x 40 / 8 = 5 > 10 - 8 = 2: x = 2; y = 1; 8 x 8 cells
    expect(out.shape).toEqual([1, 1, 8, 8]);
    expect(out.samples[0]).toBe(12);
  });

  it('LatentFlip and LatentRotate', async () => {
    expect(Array.from((await latentFlip.run({ samples: counting(1, 2, 2), flip_method: 'y-axis: horizontally' }, ctx())).LATENT.samples)).toEqual([1, 0, 3, 2]);
    const turned = (await latentRotate.run({ samples: counting(1, 2, 3), rotation: '90 degrees' }, ctx())).LATENT;
    expect(turned.shape).toEqual([1, 1, 3, 2]);
    expect(Array.from(turned.samples)).toEqual([3, 0, 4, 1, 5, 2]);
  });

  it('LatentComposite pastes at x/8, y/8; feather fades the sides that do not touch the border', async () => {
    const to = { samples: new Float32Array(16), shape: [1, 1, 4, 4] as const };
    const from = { samples: new Float32Array(4).fill(1), shape: [1, 1, 2, 2] as const };
    const hard = (await latentComposite.run({ samples_to: to, samples_from: from, x: 8, y: 16, feather: 0 }, ctx())).LATENT;
    expect(Array.from(hard.samples)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0]);
    const soft = (await latentComposite.run({ samples_to: to, samples_from: from, x: 8, y: 16, feather: 16 }, ctx())).LATENT;
    // feather 2 cells at (1, 2): the top row (y != 0), the left column (x != 0) and the right one (1 + 2 < 4) fade by
    // 1/2 at t = 0 (the bottom touches the border). Columns 0 and 1 are each hit once (left t=0 / right t=0 on column
    // 1 = 2 - 1 - 0), so every cell of the 2x2 is x0.5, and the top row once more.
    expect(Array.from(soft.samples.subarray(8))).toEqual([0, 0.25, 0.25, 0, 0, 0.5, 0.5, 0]);
  });

  it('SetLatentNoiseMask attaches the mask', async () => {
    const mask = { data: new Float32Array(4), shape: [1, 2, 2] as const };
    expect((await setLatentNoiseMask.run({ samples: counting(1, 2, 2), mask }, ctx())).LATENT.noiseMask).toBe(mask);
  });
});
