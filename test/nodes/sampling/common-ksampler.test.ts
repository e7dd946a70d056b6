import { describe, expect, it } from 'vitest';

import { checkSamplerScheduler, matchTokenCounts, migrateSchedulerV1 } from '../../../nodes/sampling/common-ksampler.ts';

const cond = (tokens: number, fill: number) => ({ embeddings: new Float32Array(tokens * 2).fill(fill), shape: [1, tokens, 2] as const });

describe('common KSampler helpers', () => {
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

  it("migrates version 1's diffusers-meaning normal / karras to the diffusers names, and nothing else", () => {
    expect(migrateSchedulerV1({ scheduler: 'normal', steps: 4 }, 1)).toEqual({ scheduler: 'diffusers', steps: 4 });
    expect(migrateSchedulerV1({ scheduler: 'karras' }, 1)).toEqual({ scheduler: 'diffusers_karras' });
    expect(migrateSchedulerV1({ scheduler: 'normal' }, 2)).toEqual({ scheduler: 'normal' });
  });

  it('refuses sampler / scheduler pairs that cannot run, naming the input and what to pick', () => {
    expect(checkSamplerScheduler('euler', 'normal', 20)).toEqual([]);
    expect(checkSamplerScheduler('pndm', 'diffusers', 20)).toEqual([]);
    expect(checkSamplerScheduler('dpmpp_2m', 'diffusers_karras', 20)).toEqual([]);
    expect(checkSamplerScheduler('pndm', 'karras', 20)).toMatchObject([{ input: 'scheduler', message: expect.stringMatching(/"diffusers"/) }]);
    expect(checkSamplerScheduler('heun', 'diffusers', 20)).toMatchObject([{ input: 'sampler_name', message: expect.stringMatching(/no diffusers class/) }]);
    expect(checkSamplerScheduler('ddim', 'diffusers_karras', 20)).toMatchObject([{ input: 'sampler_name' }]);
    expect(checkSamplerScheduler('euler', 'kl_optimal', 1)).toMatchObject([{ input: 'steps' }]);
  });
});
