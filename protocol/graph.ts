/**
 * Walks over the execution form that more than one layer needs.
 *
 * @example
 *   upstreamNodes(graph, ['9']);   // SaveImage #9 and every node it needs, in graph order
 */
import { type ExecutionGraph, nodeLinks } from './workflow/execution.ts';

/** The nodes a run of `roots` (its output nodes) executes: the roots and everything upstream of them, in graph order. */
export function upstreamNodes(graph: ExecutionGraph, roots: readonly string[]): string[] {
  const seen = new Set<string>();
  const stack = roots.filter((id) => Object.hasOwn(graph, id));
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const [, [from]] of nodeLinks(graph[id])) if (Object.hasOwn(graph, from)) stack.push(from);
  }
  return Object.keys(graph).filter((id) => seen.has(id));
}
