/**
 * The output cache: a node whose type, version, widget values and upstream did not change is not rerun
 * (as in ComfyUI). A node's key hashes its type, version, widget values, a fingerprint of outside state
 * (ComfyUI's IS_CHANGED) and the keys of the nodes it links from, so changing the sampler's seed
 * changes the sampler's key and every key downstream of it, and nothing upstream.
 *
 * Entries live in an LRU bounded by a count and an estimated size. Entries a run is using are pinned
 * and never evicted under it. An evicted entry's dispose hook (e.g. freeing a native model) runs once
 * no other live entry holds any of the same output values (pass-through nodes share their inputs).
 */
import { createHash } from 'node:crypto';

import type { UiOutput } from '../../nodes/schema.ts';

/**
 * JSON with object keys sorted, so equal values give equal strings whatever the key order.
 * Numbers that JSON cannot spell (NaN, Infinity, -0) and typed arrays get distinct spellings.
 */
export function stableStringify(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    return Number.isFinite(value) ? String(value) : `"${String(value)}"`;
  }
  if (typeof value === 'bigint') return `"${value}n"`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return `{"${value.constructor.name}":"${createHash('sha256').update(bytes).digest('hex')}"}`;
  }
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`).join(',')}}`;
}

/** sha256 (hex) of stableStringify(value). */
export function stableHash(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

/** What a node's cache key is made of. */
export interface NodeKeyParts {
  type: string;
  version: number;
  /** Widget values after defaults were filled in (so an explicit default equals an omitted one). */
  widgets: Record<string, unknown>;
  /** Input name -> [upstream node's key, output index]. */
  links: Record<string, [string, number]>;
  /** From the node's cache.fingerprint, if it has one. */
  fingerprint?: string;
}

/** The cache key of one node. Node ids are not part of it: two identical nodes share an entry. */
export function nodeCacheKey(parts: NodeKeyParts): string {
  return stableHash({ t: parts.type, v: parts.version, w: parts.widgets, l: parts.links, f: parts.fingerprint ?? null });
}

/**
 * Bytes held by a value, estimated by walking it: typed arrays and ArrayBuffers by byteLength, strings
 * at 2 bytes a character, numbers 8; objects and arrays recursively (each object once, at most 100,000
 * visited). Opaque handles (native models) count 0: their nodes should declare cache.sizeBytes.
 */
export function estimateBytes(value: unknown): number {
  let total = 0;
  const seen = new Set<object>();
  const pending: unknown[] = [value];
  while (pending.length > 0 && seen.size < 100_000) {
    const v = pending.pop();
    if (typeof v === 'string') total += v.length * 2;
    else if (typeof v === 'number' || typeof v === 'bigint') total += 8;
    else if (typeof v === 'object' && v !== null && !seen.has(v)) {
      seen.add(v);
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof SharedArrayBuffer) total += v.byteLength;
      else if (Array.isArray(v)) pending.push(...v);
      else if (v instanceof Map) for (const [k, x] of v) pending.push(k, x);
      else if (v instanceof Set) for (const x of v) pending.push(x);
      else pending.push(...Object.values(v));
    }
  }
  return total;
}

/** One cached result. */
export interface CacheEntry {
  nodeType: string;
  outputs: Record<string, unknown>;
  ui?: UiOutput;
  sizeBytes: number;
  dispose?: () => void | Promise<void>;
}

export interface NodeCacheOptions {
  /** Most entries kept (default 256). */
  maxEntries?: number;
  /** Most estimated bytes kept (default unlimited). */
  maxBytes?: number;
  /** Called when a dispose hook throws or rejects (default: console.warn). */
  onDisposeError?: (error: unknown, nodeType: string) => void;
}

interface Slot extends CacheEntry {
  pins: number;
}

interface PendingDispose {
  nodeType: string;
  values: object[];
  dispose: () => void | Promise<void>;
}

/**
 * An LRU of node results shared by runs (one per host).
 *
 * @example
 *   const cache = new NodeCache({ maxEntries: 64, maxBytes: 8 * 2 ** 30 });
 *   await executeGraph(workflow, registry, { cache });   // second run reuses unchanged nodes
 *   cache.trim(0);                                        // memory pressure: drop all unpinned entries
 */
export class NodeCache {
  private readonly slots = new Map<string, Slot>();
  private readonly holders = new Map<object, number>();
  private pending: PendingDispose[] = [];
  private totalBytes = 0;
  private pinnedSlots = 0;
  readonly maxEntries: number;
  readonly maxBytes: number;
  private readonly onDisposeError: (error: unknown, nodeType: string) => void;

  constructor(options: NodeCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 256;
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
    this.onDisposeError = options.onDisposeError ?? ((error, nodeType) => console.warn(`latentflow: freeing a cached ${nodeType} result failed:`, error));
  }

  /** Number of entries. */
  get size(): number {
    return this.slots.size;
  }

  /** Estimated bytes of all entries. */
  get bytes(): number {
    return this.totalBytes;
  }

  has(key: string): boolean {
    return this.slots.has(key);
  }

  /** The entry under `key` (made most recently used), or undefined. */
  get(key: string): CacheEntry | undefined {
    const slot = this.slots.get(key);
    if (!slot) return undefined;
    this.slots.delete(key);
    this.slots.set(key, slot);
    return slot;
  }

  /**
   * Stores an entry (pinned when asked), then evicts unpinned entries beyond the limits. Returns false,
   * storing nothing, when a pinned entry already has this key (two runs computed the same node at
   * once: the one in use is kept).
   */
  set(key: string, entry: CacheEntry, options: { pin?: boolean } = {}): boolean {
    const existing = this.slots.get(key);
    if (existing && existing.pins > 0) return false;
    if (existing) this.evict(key);
    this.slots.set(key, { ...entry, pins: options.pin ? 1 : 0 });
    if (options.pin) this.pinnedSlots++;
    this.totalBytes += entry.sizeBytes;
    for (const value of heldValues(entry.outputs)) this.holders.set(value, (this.holders.get(value) ?? 0) + 1);
    this.enforceLimits();
    return true;
  }

  /** Keeps an entry from eviction until unpinned (a run pins what it uses). */
  pin(key: string): void {
    const slot = this.slots.get(key);
    if (slot && slot.pins++ === 0) this.pinnedSlots++;
  }

  unpin(key: string): void {
    const slot = this.slots.get(key);
    if (slot && slot.pins > 0 && --slot.pins === 0) this.pinnedSlots--;
  }

  /** Re-applies the limits (after unpinning). */
  enforceLimits(): void {
    this.trimTo(this.maxEntries, this.maxBytes);
  }

  /** Memory pressure: evicts least recently used unpinned entries until at most `maxBytes` remain. */
  trim(maxBytes: number): void {
    this.trimTo(this.maxEntries, maxBytes);
  }

  /** Removes one unpinned entry (disposing its outputs when nothing else holds them). */
  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (!slot || slot.pins > 0) return false;
    this.evict(key);
    return true;
  }

  /** Removes every unpinned entry. */
  clear(): void {
    this.trimTo(0, 0);
  }

  /** Keys from least to most recently used (for tests and diagnostics). */
  keys(): string[] {
    return [...this.slots.keys()];
  }

  /** Entries from least to most recently used (diagnostics, e.g. the models a worker holds). */
  entries(): CacheEntry[] {
    return [...this.slots.values()];
  }

  private trimTo(maxEntries: number, maxBytes: number): void {
    for (const [key, slot] of this.slots) {
      if ((this.slots.size <= maxEntries && this.totalBytes <= maxBytes) || this.pinnedSlots === this.slots.size) break;
      if (slot.pins === 0) this.evict(key);
    }
  }

  private evict(key: string): void {
    const slot = this.slots.get(key)!;
    this.slots.delete(key);
    this.totalBytes -= slot.sizeBytes;
    const values = heldValues(slot.outputs);
    for (const value of values) {
      const n = (this.holders.get(value) ?? 1) - 1;
      if (n <= 0) this.holders.delete(value);
      else this.holders.set(value, n);
    }
    if (slot.dispose) this.pending.push({ nodeType: slot.nodeType, values, dispose: slot.dispose });
    this.runPendingDisposes();
  }

  private runPendingDisposes(): void {
    const ready = this.pending.filter((p) => p.values.every((v) => !this.holders.has(v)));
    if (ready.length === 0) return;
    this.pending = this.pending.filter((p) => !ready.includes(p));
    for (const p of ready) {
      try {
        const done = p.dispose();
        if (done instanceof Promise) done.catch((error: unknown) => this.onDisposeError(error, p.nodeType));
      } catch (error) {
        this.onDisposeError(error, p.nodeType);
      }
    }
  }
}

/** The objects among a result's output values (what can be shared between entries). */
function heldValues(outputs: Record<string, unknown>): object[] {
  const values: object[] = [];
  for (const v of Object.values(outputs)) if ((typeof v === 'object' && v !== null) || typeof v === 'function') values.push(v);
  return values;
}
