import { describe, expect, it } from 'vitest';

import conditioningSetArea from '../../../nodes/core/conditioning-set-area.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ConditioningSetArea', () => {
  it('stores the rectangle in latent cells (pixels / 8, rounded down) and the strength on every entry', () => {
    const out = runNode(conditioningSetArea, { conditioning: [...plain(prompt(4)), ...plain(prompt(0))], width: 64, height: 68, x: 32, y: 16, strength: 0.8 }).CONDITIONING;
    for (const entry of out) {
      expect(entry.area).toEqual({ unit: 'latent', height: 8, width: 8, y: 2, x: 4 });
      expect(entry.strength).toBe(0.8);
    }
  });
});
