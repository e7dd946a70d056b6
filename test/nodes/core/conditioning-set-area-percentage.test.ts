import { describe, expect, it } from 'vitest';

import conditioningSetAreaPercentage from '../../../nodes/core/conditioning-set-area-percentage.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ConditioningSetAreaPercentage', () => {
  it('stores fractions, resolved to latent cells when sampling (area blending is tested against the reference in comfy/ksampler)', () => {
    const [entry] = runNode(conditioningSetAreaPercentage, { conditioning: plain(prompt(1)), width: 0.25, height: 0.5, x: 0.75, y: 0.5, strength: 1.2 }).CONDITIONING;
    expect(entry.area).toEqual({ unit: 'percentage', height: 0.5, width: 0.25, y: 0.5, x: 0.75 });
    expect(entry.strength).toBe(1.2);
  });
});
