import { describe, expect, it } from 'vitest';

import { AttentionMemoryError, planAttention } from '../../../nodes/core/attention-mode.ts';
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

  it('refuses naive attention that cannot fit, with the estimate and advice, and lets auto pick flash', () => {
    const shape = { batch: 2, heads: 8, latentHeight: 128, latentWidth: 128, imageWidth: 1024, imageHeight: 1024 };
    expect(() => planAttention('naive', shape, 15 * 2 ** 30)).toThrow(AttentionMemoryError);
    expect(() => planAttention('naive', shape, 15 * 2 ** 30)).toThrow(/naive attention at 1024x1024 .* needs ~16\.0 GiB .* use flash/);
    expect(planAttention('auto', shape, 16 * 2 ** 30).mode).toBe('flash');
    expect(planAttention('flash', shape, 16 * 2 ** 30).mode).toBe('flash');
    expect(planAttention('auto', { ...shape, latentHeight: 8, latentWidth: 8, imageWidth: 64, imageHeight: 64 }, 16 * 2 ** 30).mode).toBe('naive');
  });
});
