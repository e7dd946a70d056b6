/** The example code pack's image-invert node (examples/packs/latentflow-example) on small hand-checked values. */
import { describe, expect, it } from 'vitest';

import imageInvertNode, { invert } from '../../../../examples/packs/latentflow-example/image-invert.ts';
import { close, ctx, image } from './helpers.ts';

describe('ImageInvert', () => {
  it('gives 1 - x and keeps the shape; refuses what is not an IMAGE', async () => {
    const out = invert(image([0, 0.25, 1, 0.5, 0.75, 0.1], [1, 1, 2, 3]));
    close(out.data, [1, 0.75, 0, 0.5, 0.25, 0.9]);
    expect(out.shape).toEqual([1, 1, 2, 3]);
    expect(() => imageInvertNode.run({ image: { data: new Float32Array(5), shape: [1, 1, 2, 3] as never } }, ctx)).toThrow('data has 5 values, shape [1, 1, 2, 3] needs 6');
    expect(() => imageInvertNode.run({ image: { samples: new Float32Array(4), shape: [1, 4, 1, 1] } as never }, ctx)).toThrow('input "image" is not an IMAGE');
  });
});
