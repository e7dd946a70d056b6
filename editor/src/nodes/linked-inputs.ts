/**
 * Which inputs of each node have a link, computed once per edges array (not once per node per render),
 * so a 200-node canvas stays cheap while dragging.
 */
import type { FlowEdge } from '../graph/types.ts';

const cache = new WeakMap<FlowEdge[], Map<string, string>>();
const NONE = '';

/** The linked input names of `nodeId`, joined by "\n" (a string, so selectors compare by value). */
export function linkedInputsKey(edges: FlowEdge[], nodeId: string): string {
  let byNode = cache.get(edges);
  if (!byNode) {
    const lists = new Map<string, string[]>();
    for (const edge of edges) {
      const list = lists.get(edge.target);
      if (list) list.push(edge.targetHandle ?? '');
      else lists.set(edge.target, [edge.targetHandle ?? '']);
    }
    byNode = new Map([...lists].map(([id, list]) => [id, list.sort().join('\n')]));
    cache.set(edges, byNode);
  }
  return byNode.get(nodeId) ?? NONE;
}

/** Output indices of `nodeId` that feed something, same caching. */
const outCache = new WeakMap<FlowEdge[], Map<string, string>>();
export function usedOutputsKey(edges: FlowEdge[], nodeId: string): string {
  let byNode = outCache.get(edges);
  if (!byNode) {
    const sets = new Map<string, Set<string>>();
    for (const edge of edges) {
      const set = sets.get(edge.source) ?? new Set<string>();
      set.add(edge.sourceHandle ?? '0');
      sets.set(edge.source, set);
    }
    byNode = new Map([...sets].map(([id, set]) => [id, [...set].sort().join('\n')]));
    outCache.set(edges, byNode);
  }
  return byNode.get(nodeId) ?? NONE;
}
