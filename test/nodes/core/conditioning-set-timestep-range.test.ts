import { describe, expect, it } from 'vitest';

import conditioningSetTimestepRange from '../../../nodes/core/conditioning-set-timestep-range.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ConditioningSetTimestepRange', () => {
  it('stores the range as fractions of the schedule (when it applies is tested against the reference in comfy/ksampler)', () => {
    const [entry] = runNode(conditioningSetTimestepRange, { conditioning: plain(prompt(4)), start: 0.25, end: 0.75 }).CONDITIONING;
    expect([entry.startPercent, entry.endPercent]).toEqual([0.25, 0.75]);
  });
});
