import { describe, expect, it } from 'vitest';

import { asLink } from '../../protocol/index.ts';

describe('asLink', () => {
  it('recognises links and nothing else', () => {
    expect(asLink(['4', 1])).toEqual(['4', 1]);
    expect(asLink([4, 0])).toEqual(['4', 0]);
    expect(asLink(['4', -1])).toBeNull();
    expect(asLink(['4', 1.5])).toBeNull();
    expect(asLink(['', 0])).toBeNull();
    expect(asLink(['4', 0, 1])).toBeNull();
    expect(asLink('4')).toBeNull();
  });
});
