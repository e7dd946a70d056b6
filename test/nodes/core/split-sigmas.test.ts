import { describe, expect, it } from 'vitest';

import splitSigmas from '../../../nodes/core/split-sigmas.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('SplitSigmas', () => {
  it('splits at a step, both halves holding its sigma; a step past the end leaves the low half one sigma', () => {
    const sigmas = { sigmas: Float32Array.of(8, 4, 2, 1, 0) };
    const { high_sigmas, low_sigmas } = runNode(splitSigmas, { sigmas, step: 2 });
    expect(Array.from(high_sigmas.sigmas)).toEqual([8, 4, 2]);
    expect(Array.from(low_sigmas.sigmas)).toEqual([2, 1, 0]);
    const late = runNode(splitSigmas, { sigmas, step: 10 });
    expect(late.high_sigmas.sigmas.length).toBe(5);
    expect(late.low_sigmas.sigmas.length).toBe(0);
  });
});
