import { describe, expect, it } from 'vitest';

import conditioningZeroOut from '../../../nodes/core/conditioning-zero-out.ts';
import { plain, prompt } from '../sampling/comfy/reference.ts';
import { runNode } from '../../helpers/node-context.ts';

describe('ConditioningZeroOut', () => {
  it('zeros the embeddings, keeping shape and options; the input is not changed', () => {
    const input = [{ ...plain(prompt(4))[0], strength: 0.5 }];
    const [entry] = runNode(conditioningZeroOut, { conditioning: input }).CONDITIONING;
    expect(entry.shape).toEqual([1, 77, 32]);
    expect(entry.strength).toBe(0.5);
    expect(entry.embeddings.every((v) => v === 0)).toBe(true);
    expect(input[0].embeddings.some((v) => v !== 0)).toBe(true);
  });
});
