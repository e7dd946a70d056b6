import { describe, expect, it } from 'vitest';

import conditioningCombine from '../../../nodes/core/conditioning-combine.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ConditioningCombine', () => {
  it('joins the two lists, entries kept as they are (each predicted separately when sampling)', () => {
    const a = plain(prompt(4));
    const b = [{ ...plain(prompt(0))[0], strength: 0.5 }];
    const out = runNode(conditioningCombine, { conditioning_1: a, conditioning_2: b }).CONDITIONING;
    expect(out).toEqual([a[0], b[0]]);
  });
});
