/**
 * A long chain workflow (Source -> Step -> ... -> Sink) and its node types, for the tests and the
 * benchmark (bench/overheads.ts) that need thousands of nodes: each Step adds `k` (default 1).
 */
import { NodeRegistry } from '../../nodes/registry.ts';
import { defineNode, int, optional, socket } from '../../nodes/schema.ts';
import type { ExecutionGraph } from '../../protocol/index.ts';

export function chainRegistry(): NodeRegistry {
  const registry = new NodeRegistry();
  registry.registerAll([
    defineNode({ type: 'Source', version: 1, category: 't', description: '', inputs: { value: int({ min: 0 }) }, outputs: { L: socket('LATENT') }, run: (i) => ({ L: i.value as never }) }), // a number stands in for a latent
    defineNode({ type: 'Step', version: 1, category: 't', description: '', inputs: { a: socket('LATENT'), k: int({ default: 1 }) }, outputs: { L: socket('LATENT') }, run: (i) => ({ L: ((i.a as unknown as number) + i.k) as never }) }),
    defineNode({ type: 'Sink', version: 1, category: 't', description: '', inputs: { a: socket('LATENT'), b: optional(socket('LATENT')) }, outputs: {}, outputNode: true, run: (i) => ({ ui: { value: i.a } }) }),
  ]);
  return registry;
}

/** Source #0 (value `start`), Steps #1..#n-2, Sink #n-1. */
export function chain(n: number, start = 1): ExecutionGraph {
  const g: ExecutionGraph = { '0': { class_type: 'Source', inputs: { value: start } } };
  for (let i = 1; i < n; i++) g[String(i)] = { class_type: i === n - 1 ? 'Sink' : 'Step', inputs: { a: [String(i - 1), 0] } };
  return g;
}
