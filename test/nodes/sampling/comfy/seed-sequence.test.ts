// numpy's SeedSequence, word for word against numpy 1.24 (the reference script records generate_state outputs).
import { describe, expect, it } from 'vitest';

import { SeedSequence } from '../../../../nodes/sampling/comfy/seed-sequence.ts';
import { integers, referenceSummary } from './reference.ts';

describe('SeedSequence', () => {
  it.each(referenceSummary.seed_sequences.map((s, i) => [i, s] as const))('case %i equals numpy', (i, s) => {
    const sequence = new SeedSequence(BigInt(s.entropy), s.spawn_key.map(BigInt), s.pool_size);
    expect(sequence.generateState(s.words)).toEqual(integers(`seed_sequence.${i}`));
  });

  it('differs with the spawn key and the entropy', () => {
    const base = new SeedSequence(42n, [0, 0], 24).generateState(4);
    expect(new SeedSequence(42n, [1, 0], 24).generateState(4)).not.toEqual(base);
    expect(new SeedSequence(43n, [0, 0], 24).generateState(4)).not.toEqual(base);
  });
});
