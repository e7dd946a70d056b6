import { describe, expect, it } from 'vitest';

import conditioningSetAreaStrength from '../../../nodes/core/conditioning-set-area-strength.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ConditioningSetAreaStrength', () => {
  it('sets the strength, keeping the area', () => {
    const area = { unit: 'latent' as const, height: 2, width: 2, y: 0, x: 0 };
    const [entry] = runNode(conditioningSetAreaStrength, { conditioning: [{ ...plain(prompt(4))[0], area }], strength: 2.5 }).CONDITIONING;
    expect(entry.strength).toBe(2.5);
    expect(entry.area).toEqual(area);
  });
});
