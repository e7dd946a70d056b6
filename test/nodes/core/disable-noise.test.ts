import { describe, expect, it } from 'vitest';

import disableNoise from '../../../nodes/core/disable-noise.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('DisableNoise', () => {
  it('is no noise, with seed 0 for the samplers own noise (ComfyUI Noise_EmptyNoise)', () => {
    expect(runNode(disableNoise, {}).NOISE).toEqual({ kind: 'disabled', seed: 0 });
  });
});
