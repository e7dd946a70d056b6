/** What the example pack's node tests share: values built from plain numbers, and comparing them. */
import { expect } from 'vitest';

import type { Image, Latent } from '../../../../examples/packs/latentflow-example/values.ts';
import type { NodeContext } from '../../../../nodes/schema.ts';

/** The nodes under test use no context. */
export const ctx = {} as NodeContext;
export const image = (values: number[], shape: Image['shape']): Image => ({ data: Float32Array.from(values), shape });
export const latent = (values: number[], shape: Latent['shape']): Latent => ({ samples: Float32Array.from(values), shape });

export function close(got: ArrayLike<number>, expected: number[], tolerance = 1e-6): void {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(tolerance);
}
