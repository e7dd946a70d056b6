// The Canny node: ComfyUI's inputs and ranges, and low above high refused (its edges: test/nodes/image/canny.test.ts).
import { describe, expect, it } from 'vitest';

import cannyNode from '../../../nodes/core/canny.ts';
import { runNode, testContext } from '../../helpers/node-context.ts';

describe('Canny node', () => {
  it('has ComfyUI\'s inputs and refuses low above high at validation and run time', () => {
    expect(cannyNode.inputs.low_threshold).toMatchObject({ default: 0.4, min: 0.01, max: 0.99, step: 0.01 });
    expect(cannyNode.inputs.high_threshold).toMatchObject({ default: 0.8, min: 0.01, max: 0.99, step: 0.01 });
    expect(cannyNode.checkWidgets!({ low_threshold: 0.5, high_threshold: 0.4 }, {})).toMatchObject([{ input: 'low_threshold' }]);
    const image = { data: new Float32Array(16 * 16 * 3), shape: [1, 16, 16, 3] as const };
    expect(() => runNode(cannyNode, { image, low_threshold: 0.5, high_threshold: 0.4 }, testContext('Canny'))).toThrow(/low_threshold must not be above high_threshold/);
    expect(runNode(cannyNode, { image, low_threshold: 0.4, high_threshold: 0.8 }).IMAGE.shape).toEqual([1, 16, 16, 3]);
  });
});
