import { describe, expect, it } from 'vitest';

import randomNoise from '../../../nodes/core/random-noise.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('RandomNoise', () => {
  it('carries its seed (the noise itself is drawn for the latent by the sampler node)', () => {
    expect(runNode(randomNoise, { noise_seed: 123 }).NOISE).toEqual({ kind: 'random', seed: 123 });
  });
});
