/**
 * Subgraph node types travel with the job. A subgraph type lives in a pack on the server that queued
 * the job (the editor's "save as node" writes `<data>/packs/user` there); a worker on another machine
 * does not have that folder. Nothing is shared on disk in the Redis design (inputs and outputs go
 * through Redis too), so the server puts the JSON of every subgraph type a workflow uses, nested ones
 * included, into the job, and the worker runs the job with those types, exactly as the server
 * validated them. The worker's own registry is left as it is: a job's types live in a copy for that job.
 */
import { checkSubgraph, resolveInnerType, subgraphDefinition, subgraphOf } from '../../../nodes/packs/index.ts';
import type { NodeRegistry } from '../../../nodes/registry.ts';
import type { ExecutionGraph, SubgraphJson } from '../../../protocol/index.ts';

/** A subgraph node type as its pack declares it (registered as `<pack>/<json.type>`). */
export interface ShippedSubgraph {
  pack: string;
  json: SubgraphJson;
}

/** Every subgraph type `prompt` uses, nested ones included, each once (inner ones first). */
export function subgraphsUsedBy(prompt: ExecutionGraph, registry: NodeRegistry): ShippedSubgraph[] {
  const shipped = new Map<string, ShippedSubgraph>();
  const visit = (types: Iterable<string>, depth: number) => {
    for (const type of types) {
      const subgraph = subgraphOf(registry.get(type));
      if (!subgraph || shipped.has(type) || depth > 16) continue; // depth: a subgraph containing itself is refused by validation
      const inner = Object.values(subgraph.graph).map((node) => resolveInnerType(registry, subgraph.pack, node.class_type));
      visit(inner, depth + 1);
      shipped.set(type, { pack: subgraph.pack, json: subgraph.json });
    }
  };
  visit(Object.values(prompt).map((node) => String(node?.class_type)), 0); // a malformed node names no type
  return [...shipped.values()];
}

/**
 * The registry a job runs with: `base` when it already has every shipped type as shipped, else a copy
 * of it holding the job's definitions (they win over a different definition of the same name). Throws
 * when a shipped subgraph is not valid here, naming it.
 */
export function registryForJob(base: NodeRegistry, shipped: readonly ShippedSubgraph[]): NodeRegistry {
  let registry = base;
  for (const { pack, json } of shipped) {
    const type = `${pack}/${json.type}`;
    const existing = subgraphOf(registry.get(type));
    if (existing && JSON.stringify(existing.json) === JSON.stringify(json)) continue;
    const { subgraph, problems } = checkSubgraph(json, pack);
    if (!subgraph) throw new Error(`the job's subgraph node type "${type}" is not valid on this worker: ${problems.join('; ')}`);
    if (registry === base) registry = base.clone();
    registry.remove(type);
    const issue = registry.register(subgraphDefinition(subgraph, registry), pack);
    if (issue) throw new Error(`the job's subgraph node type "${type}" cannot be registered on this worker: ${issue.message}`);
  }
  return registry;
}
