// The tiny fixture model as a MODEL value, for node tests that sample.
import path from 'node:path';

import { afterAll, beforeAll } from 'vitest';

import { loadModel, type ModelHandle } from '../../native/index.ts';
import type { ModelValue } from '../../nodes/socket-values.ts';

/** Loads tiny-sd (f32) before the file's tests and frees it after; read `.value` inside tests. */
export function useTinyModel(): { value: ModelValue } {
  const holder = {} as { value: ModelValue; handle: ModelHandle };
  beforeAll(async () => {
    holder.handle = await loadModel(path.resolve('test/fixtures/tiny-sd'), { weights: 'f32' });
    holder.value = { model: holder.handle, source: 'tiny-sd' };
  });
  afterAll(() => holder.handle.dispose());
  return holder;
}

export const zeroLatent = (height = 8, width = 8) => ({ samples: new Float32Array(4 * height * width), shape: [1, 4, height, width] as const });
