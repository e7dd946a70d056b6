import { describe, expect, it } from 'vitest';

import { estimateBytes, NodeCache, nodeCacheKey, stableHash, stableStringify } from '../../../server/runner/index.ts';

const entry = (nodeType: string, outputs: Record<string, unknown>, sizeBytes = 1, dispose?: () => void) => ({ nodeType, outputs, sizeBytes, ...(dispose ? { dispose } : {}) });

describe('stable hashing', () => {
  it('ignores key order and tells apart values JSON would merge', () => {
    expect(stableStringify({ b: 1, a: [1, { d: 2, c: 'x' }] })).toBe(stableStringify({ a: [1, { c: 'x', d: 2 }], b: 1 }));
    expect(stableHash({ x: 1, y: 2 })).toBe(stableHash({ y: 2, x: 1 }));
    expect(stableStringify(Number.NaN)).not.toBe(stableStringify(null));
    expect(stableStringify(-0)).not.toBe(stableStringify(0));
    expect(stableStringify(1)).not.toBe(stableStringify('1'));
    expect(stableStringify(new Float32Array([1, 2]))).not.toBe(stableStringify(new Float32Array([1, 3])));
    expect(stableHash('a')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keys a node by type, version, widgets, fingerprint and upstream keys, not by node id', () => {
    const base = { type: 'KSampler', version: 1, widgets: { seed: 1, steps: 20 }, links: { model: ['k1', 0] as [string, number] } };
    const key = nodeCacheKey(base);
    expect(nodeCacheKey({ ...base, widgets: { steps: 20, seed: 1 } })).toBe(key);
    expect(nodeCacheKey({ ...base, widgets: { seed: 2, steps: 20 } })).not.toBe(key);
    expect(nodeCacheKey({ ...base, version: 2 })).not.toBe(key);
    expect(nodeCacheKey({ ...base, type: 'KSampler2' })).not.toBe(key);
    expect(nodeCacheKey({ ...base, links: { model: ['k2', 0] } })).not.toBe(key);
    expect(nodeCacheKey({ ...base, links: { model: ['k1', 1] } })).not.toBe(key);
    expect(nodeCacheKey({ ...base, fingerprint: 'mtime=5' })).not.toBe(key);
  });
});

describe('estimateBytes', () => {
  it('counts typed arrays, buffers, strings and numbers, each object once', () => {
    const shared = new Float32Array(1000);
    expect(estimateBytes({ a: shared, b: shared, c: [new Uint8Array(10), 'ab', 1], d: new ArrayBuffer(6) })).toBe(4000 + 10 + 4 + 8 + 6);
    const loop: Record<string, unknown> = { x: new Float64Array(2) };
    loop.self = loop;
    expect(estimateBytes(loop)).toBe(16);
  });
});

describe('NodeCache', () => {
  it('evicts the least recently used entry beyond maxEntries', () => {
    const cache = new NodeCache({ maxEntries: 2 });
    cache.set('a', entry('A', { v: 1 }));
    cache.set('b', entry('B', { v: 2 }));
    expect(cache.get('a')?.outputs).toEqual({ v: 1 }); // a is now most recent
    cache.set('c', entry('C', { v: 3 }));
    expect(cache.keys()).toEqual(['a', 'c']);
  });

  it('evicts by estimated size, never pinned entries, and re-applies limits on unpin', () => {
    const cache = new NodeCache({ maxBytes: 100 });
    cache.set('big', entry('Load', { m: 1 }, 80), { pin: true });
    cache.set('small', entry('Enc', { c: 1 }, 30));
    // Over budget, but "big" is pinned: only "small" can go.
    expect(cache.keys()).toEqual(['big']);
    expect(cache.bytes).toBe(80);
    cache.set('other', entry('Enc', { c: 2 }, 30), { pin: true });
    expect(cache.keys()).toEqual(['big', 'other']);
    cache.unpin('big');
    cache.enforceLimits();
    expect(cache.keys()).toEqual(['other']);
    expect(cache.bytes).toBe(30);
    cache.unpin('other');
    cache.trim(0);
    expect(cache.size).toBe(0);
  });

  it('keeps a pinned entry when the same key is stored again, and does not delete it', () => {
    const cache = new NodeCache();
    expect(cache.set('k', entry('A', { v: 1 }), { pin: true })).toBe(true);
    expect(cache.set('k', entry('A', { v: 2 }))).toBe(false);
    expect(cache.delete('k')).toBe(false);
    expect(cache.get('k')?.outputs).toEqual({ v: 1 });
    cache.unpin('k');
    expect(cache.set('k', entry('A', { v: 3 }))).toBe(true);
    expect(cache.get('k')?.outputs).toEqual({ v: 3 });
    expect(cache.size).toBe(1);
  });

  it('holds far more pinned entries than the limit while a run needs them, then keeps the newest (its time: npm run bench:overheads)', () => {
    const cache = new NodeCache({ maxEntries: 4 });
    for (let i = 0; i < 20_000; i++) cache.set(String(i), entry('S', { v: i }), { pin: true });
    expect(cache.size).toBe(20_000);
    for (let i = 0; i < 20_000; i++) cache.unpin(String(i));
    cache.enforceLimits();
    expect(cache.keys()).toEqual(['19996', '19997', '19998', '19999']);
  });

  it('disposes an evicted entry once no other entry holds the same output values', () => {
    const freed: string[] = [];
    const model = { handle: 1 };
    const cache = new NodeCache();
    cache.set('loader', entry('Load', { MODEL: model, CLIP: { handle: 2 } }, 1, () => freed.push('loader')));
    cache.set('passthrough', entry('Patch', { MODEL: model }));
    cache.delete('loader');
    expect(freed).toEqual([]); // the pass-through still hands out the same model
    cache.delete('passthrough');
    expect(freed).toEqual(['loader']);
    cache.set('x', entry('X', { v: {} }, 1, () => freed.push('x')));
    cache.clear();
    expect(freed).toEqual(['loader', 'x']);
  });

  it('reports dispose failures without throwing', async () => {
    const errors: string[] = [];
    const cache = new NodeCache({ onDisposeError: (error, nodeType) => errors.push(`${nodeType}: ${(error as Error).message}`) });
    cache.set('a', entry('A', {}, 1, () => {
      throw new Error('sync');
    }));
    cache.set('b', { nodeType: 'B', outputs: {}, sizeBytes: 1, dispose: () => Promise.reject(new Error('async')) });
    expect(() => cache.clear()).not.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(errors).toEqual(['A: sync', 'B: async']);
  });
});
