import { describe, expect, it } from 'vitest';

import { matchTokenCounts } from '../../../nodes/core/ksampler.ts';

const cond = (tokens: number, fill: number) => ({ embeddings: new Float32Array(tokens * 2).fill(fill), shape: [1, tokens, 2] as const });

describe('KSampler helpers', () => {
  it('repeats the shorter conditioning to the least common multiple of token counts (long prompts)', () => {
    const [a, b] = matchTokenCounts(cond(154, 1), cond(77, 2));
    expect(a.shape).toEqual([1, 154, 2]);
    expect(b.shape).toEqual([1, 154, 2]);
    expect(b.embeddings.every((v) => v === 2)).toBe(true);
    const [c, d] = matchTokenCounts(cond(231, 1), cond(154, 2));
    expect(c.shape[1]).toBe(462);
    expect(d.shape[1]).toBe(462);
    expect(() => matchTokenCounts(cond(77, 1), { embeddings: new Float32Array(77 * 3), shape: [1, 77, 3] })).toThrow(/different widths/);
  });
});
