/**
 * Replays the fuzzers' seed corpora, which hold every regression a fuzzer found (fuzz/make-corpus.ts
 * names them regression-*), through the code they target, in the ordinary test run:
 *   - PNG: the same property fuzz/png.ts checks (only PngError / PngTextError, nothing slow).
 *   - safetensors: through the addon, each file opens or is refused with an SDN_STATUS_* error.
 */
import fs from 'node:fs';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { check } from '../../fuzz/png.ts';
import { inspectSafetensors, isNativeError } from '../../native/index.ts';

const corpus = (target: string) => fs.readdirSync(path.resolve('fuzz/corpus', target)).map((f) => path.resolve('fuzz/corpus', target, f));

describe('fuzz corpora replayed', () => {
  it.each(corpus('png').map((f) => [path.basename(f), f]))('png %s', async (_name, file) => {
    const { finding } = await check(fs.readFileSync(file));
    expect(finding).toBeUndefined();
  });

  it.each(corpus('safetensors').map((f) => [path.basename(f), f]))('safetensors %s', async (_name, file) => {
    try {
      const info = await inspectSafetensors(file);
      expect(Array.isArray(info.tensors)).toBe(true);
    } catch (error) {
      expect(isNativeError(error), String(error)).toBe(true);
    }
  });
});
