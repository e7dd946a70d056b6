/** The runner's public surface: validate, order and execute workflows, with a shared result cache. */
export { validateGraph, resolveGraph, type ResolvedGraph, type ResolvedNode } from './validate.ts';
export { orderGraph, findCycles, type OrderResult } from './order.ts';
export { executeGraph, noMemoryProbe, rssProbe, consoleLogger, type ExecuteOptions, type MemoryProbe, type RunResult } from './execute.ts';
export { NodeCache, nodeCacheKey, stableHash, stableStringify, estimateBytes, type CacheEntry, type NodeCacheOptions } from './cache.ts';
export { NodeRunError, wrapNodeError } from './node-error.ts';
