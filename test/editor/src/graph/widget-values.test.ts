import { describe, expect, it } from 'vitest';

import { clampNumber, nextSeed, stepNumber } from '../../../../editor/src/graph/widget-values.ts';

describe('clampNumber', () => {
  const size = { kind: 'int', min: 64, max: 2048, step: 8 } as const;
  const cfg = { kind: 'float', min: 0, max: 30, step: 0.5 } as const;
  const denoise = { kind: 'float', min: 0, max: 1, step: 0.01 } as const;

  it('snaps ints to step from min and clamps', () => {
    expect(clampNumber(size, 99, 512)).toBe(96);
    expect(clampNumber(size, 101, 512)).toBe(104);
    expect(clampNumber(size, 5000, 512)).toBe(2048);
    expect(clampNumber(size, -3, 512)).toBe(64);
    expect(clampNumber({ kind: 'int', min: 1, max: 150 }, 20.6, 20)).toBe(21);
  });

  it('snaps floats and keeps their precision', () => {
    expect(clampNumber(cfg, 7.3, 7)).toBe(7.5);
    expect(clampNumber(cfg, 31, 7)).toBe(30);
    expect(clampNumber(denoise, 0.1 + 0.2, 1)).toBe(0.3);
    expect(clampNumber(denoise, 0.123456, 1)).toBe(0.12);
  });

  it('keeps the previous value for non-numbers', () => {
    expect(clampNumber(size, Number.NaN, 512)).toBe(512);
  });

  it('steps up and down within range', () => {
    expect(stepNumber(size, 512, 1)).toBe(520);
    expect(stepNumber(size, 2048, 1)).toBe(2048);
    expect(stepNumber(denoise, 0.3, -1)).toBe(0.29);
  });
});

describe('nextSeed', () => {
  const spec = { min: 0, max: 10 };
  it('applies each control', () => {
    expect(nextSeed('fixed', 5, spec)).toBe(5);
    expect(nextSeed('increment', 5, spec)).toBe(6);
    expect(nextSeed('increment', 10, spec)).toBe(0);
    expect(nextSeed('decrement', 0, spec)).toBe(10);
    expect(nextSeed('randomize', 5, spec, () => 0.999)).toBe(10);
    expect(nextSeed('randomize', 5, spec, () => 0)).toBe(0);
  });
  it('randomizes within 48 bits when there is no max', () => {
    for (let i = 0; i < 20; i++) {
      const seed = nextSeed('randomize', 0, { min: 0 });
      expect(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 48).toBe(true);
    }
  });
});
