/**
 * Expanding subgraph nodes: every node whose type is a subgraph is replaced by its inner nodes, with
 * ids `<outerId>/<innerId>` (nested: `5/2/1`), links inside the fragment rewired to those ids, values
 * and links given to the subgraph node injected into the inner inputs its declared inputs target, and
 * links from the subgraph node's outputs redirected to the inner outputs they come from. What comes out
 * is a plain execution graph, so validation, ordering, caching and events work per inner node (the
 * cache key of an inner node does not contain its id: identical inner nodes share cache entries).
 *
 * `origins` maps each inner node back to the outer node the user sees; mapIssueToOuter uses it to put
 * an inner node's problem on the outer node (inner id, type and input in details).
 *
 * @example
 *   const { graph, origins, issues } = expandSubgraphs(workflowGraph, registry);
 *   // { "5": { class_type: "sd/Txt2ImgSimple", inputs: { seed: 3 } } }
 *   //   -> { "5/3": { class_type: "KSampler", inputs: { seed: 3, model: ["5/4", 0], ... } }, "5/4": ... }
 */
import { asLink, type ExecutionGraph, type ExecutionNode, type Issue, type Link, nodeLabel } from '../../protocol/index.ts';
import type { NodeRegistry } from '../registry.ts';
import { resolveInnerType, subgraphOf, type Subgraph } from './subgraph.ts';

/** Where an inner node came from. */
export interface SubgraphOrigin {
  /** The top-level node (the one in the user's workflow) and its subgraph type. */
  outerId: string;
  outerType: string;
  /** The subgraph nodes from the top-level one down to this node's parent (expanded ids). */
  chain: Array<{ id: string; type: string }>;
  /** Inner input name -> the top-level node's input that feeds it (only inputs fed from the outer node). */
  inputs: Record<string, string>;
}

/** Inner node id (as expanded) -> where it came from. Top-level nodes are not in it. */
export type SubgraphOrigins = Map<string, SubgraphOrigin>;

export interface ExpandLimits {
  /** Subgraphs inside subgraphs, at most (default 16). */
  maxDepth?: number;
  /** Nodes in the expanded graph, at most (default 100,000): nesting multiplies node counts. */
  maxNodes?: number;
}

export interface ExpandResult {
  graph: ExecutionGraph;
  origins: SubgraphOrigins;
  issues: Issue[];
}

/** Whether any node of `graph` is a subgraph (when none is, expansion has nothing to do). */
export function hasSubgraphNodes(graph: ExecutionGraph, registry: NodeRegistry): boolean {
  for (const node of Object.values(graph)) if (subgraphOf(registry.get(node.class_type))) return true;
  return false;
}

interface Pending {
  id: string;
  node: ExecutionNode;
  subgraph: Subgraph;
  type: string;
  /** The origin of this subgraph node itself when it is nested (undefined at top level). */
  origin?: SubgraphOrigin;
}

/**
 * Replaces every subgraph node (nested ones too) by its inner nodes. Problems are returned, located on
 * the top-level node: a subgraph that contains itself (code `cycle`), an inner id that clashes with an
 * existing id or a graph beyond the limits (`workflow_invalid`), a link to an output a subgraph does not
 * have (`link_invalid`). Inner values are not checked here: validateGraph checks the expanded graph.
 */
export function expandSubgraphs(graph: ExecutionGraph, registry: NodeRegistry, limits: ExpandLimits = {}): ExpandResult {
  const maxDepth = limits.maxDepth ?? 16;
  const maxNodes = limits.maxNodes ?? 100_000;
  const out: ExecutionGraph = {};
  const origins: SubgraphOrigins = new Map();
  const issues: Issue[] = [];
  /** Expanded subgraph node id -> per output index, the inner output it comes from. */
  const redirects = new Map<string, Link[]>();
  const pending: Pending[] = [];
  const taken = new Set(Object.keys(graph));
  let count = taken.size;

  for (const [id, node] of Object.entries(graph)) {
    const definition = registry.get(node.class_type);
    const subgraph = subgraphOf(definition);
    if (subgraph) pending.push({ id, node, subgraph, type: definition!.type });
    else out[id] = { ...node, inputs: { ...node.inputs } };
  }

  while (pending.length > 0) {
    const item = pending.pop()!;
    const { id, node, subgraph, type, origin } = item;
    const outerId = origin?.outerId ?? id;
    const outerType = origin?.outerType ?? type;
    const chain = [...(origin?.chain ?? []), { id, type }];
    const at = { nodeId: outerId, nodeType: outerType };
    const where = origin ? `${nodeLabel(outerType, outerId)} (inner ${nodeLabel(type, id)})` : nodeLabel(type, id);

    const seen = chain.findIndex((c) => c.type === type);
    if (seen < chain.length - 1) {
      const types = chain.map((c) => c.type);
      issues.push({ code: 'cycle', message: `${where}: subgraph "${type}" contains itself (${types.join(' -> ')}); a subgraph cannot use itself.`, ...at, details: { reason: 'subgraph_recursion', types, innerNode: id } });
      continue;
    }
    if (chain.length > maxDepth) {
      issues.push({ code: 'workflow_invalid', message: `${where}: subgraphs are nested more than ${maxDepth} deep (${chain.map((c) => c.type).join(' -> ')}); flatten some of them.`, ...at, details: { reason: 'subgraph_too_deep', types: chain.map((c) => c.type) } });
      continue;
    }
    const innerIds = Object.keys(subgraph.graph);
    count += innerIds.length;
    if (count > maxNodes) {
      issues.push({ code: 'workflow_invalid', message: `${where}: expanding subgraphs would make more than ${maxNodes} nodes; use fewer or smaller subgraphs.`, ...at, details: { reason: 'subgraph_too_large', maxNodes } });
      break;
    }
    const clash = innerIds.map((inner) => `${id}/${inner}`).find((full) => taken.has(full));
    if (clash !== undefined) {
      issues.push({ code: 'workflow_invalid', message: `${where}: its inner node would get id "${clash}", which the workflow already uses; rename that node (ids with "/" are reserved for subgraphs).`, ...at, details: { reason: 'id_clash', id: clash } });
      continue;
    }
    for (const inner of innerIds) taken.add(`${id}/${inner}`);

    redirects.set(id, subgraph.json.outputs.map((o): Link => [`${id}/${o.from.node}`, o.from.output]));

    // Inner nodes, links rewired into the new namespace, types resolved within the pack.
    const created = new Map<string, ExecutionNode>();
    const fedBy = new Map<string, Record<string, string>>();
    for (const inner of innerIds) {
      const source = subgraph.graph[inner];
      const inputs: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(source.inputs)) {
        const link = asLink(value);
        inputs[name] = link ? ([`${id}/${link[0]}`, link[1]] satisfies Link) : value;
      }
      created.set(inner, { ...source, class_type: resolveInnerType(registry, subgraph.pack, source.class_type), inputs });
      fedBy.set(inner, {});
    }
    // What the subgraph node was given goes into the inner inputs its declared inputs target.
    for (const input of subgraph.json.inputs) {
      const value = node.inputs[input.name] ?? input.default;
      const outerInput = origin ? origin.inputs[input.name] : input.name;
      for (const target of input.targets) {
        // Unset with no default: the target keeps the value the fragment gives it.
        if (value !== undefined && value !== null) created.get(target.node)!.inputs[target.input] = value;
        if (outerInput !== undefined) fedBy.get(target.node)![target.input] = outerInput;
      }
    }
    for (const [inner, innerNode] of created) {
      const fullId = `${id}/${inner}`;
      const innerOrigin: SubgraphOrigin = { outerId, outerType, chain, inputs: fedBy.get(inner)! };
      const definition = registry.get(innerNode.class_type);
      const nested = subgraphOf(definition);
      if (nested) pending.push({ id: fullId, node: innerNode, subgraph: nested, type: definition!.type, origin: innerOrigin });
      else {
        out[fullId] = innerNode;
        origins.set(fullId, innerOrigin);
      }
    }
  }

  // Links to a subgraph node's outputs now point at the inner outputs they come from (through nesting).
  for (const [id, node] of Object.entries(out)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      let link = asLink(value);
      if (!link || !redirects.has(link[0])) continue;
      while (link && redirects.has(link[0])) {
        const outputs: Link[] = redirects.get(link[0])!;
        if (link[1] >= outputs.length) {
          const origin = origins.get(id);
          const label = origin ? `${nodeLabel(origin.outerType, origin.outerId)} (inner ${nodeLabel(node.class_type, id)})` : nodeLabel(node.class_type, id);
          issues.push({
            code: 'link_invalid',
            message: `${label}: input "${input}" links to output ${link[1]} of subgraph node #${link[0]}, which has ${outputs.length} output${outputs.length === 1 ? '' : 's'}; reconnect it.`,
            nodeId: origin?.outerId ?? id,
            nodeType: origin?.outerType ?? node.class_type,
            ...(origin ? (origin.inputs[input] !== undefined ? { input: origin.inputs[input] } : {}) : { input }),
            details: { reason: 'output_missing', from: link, innerNode: id, innerInput: input },
          });
          link = null;
          break;
        }
        link = outputs[link[1]];
      }
      if (link) node.inputs[input] = link;
    }
  }
  return { graph: out, origins, issues };
}

/**
 * Puts an issue about an inner node on the top-level node the user sees: nodeId/nodeType become the
 * outer node's, `input` the outer input that feeds the inner one (dropped when none does), and the
 * inner node id, type and input go to details (innerNode, innerNodeType, innerInput, subgraphs).
 * Issues about top-level nodes are returned unchanged.
 */
export function mapIssueToOuter(issue: Issue, origins: SubgraphOrigins): Issue {
  const origin = issue.nodeId !== undefined ? origins.get(issue.nodeId) : undefined;
  if (!origin) return issue;
  const innerId = issue.nodeId!;
  const innerType = issue.nodeType ?? '?';
  const outerLabel = nodeLabel(origin.outerType, origin.outerId);
  const innerLabel = nodeLabel(innerType, innerId);
  let message: string;
  if (issue.message.startsWith(innerLabel)) message = `${outerLabel} (inner ${innerLabel})${issue.message.slice(innerLabel.length)}`;
  else if (issue.message.startsWith(`Node #${innerId}`)) message = `${outerLabel} (inner node #${innerId})${issue.message.slice(`Node #${innerId}`.length)}`;
  else message = `${outerLabel}: ${issue.message}`;
  const outerInput = issue.input !== undefined ? origin.inputs[issue.input] : undefined;
  const { input: _dropped, ...rest } = issue;
  return {
    ...rest,
    message,
    nodeId: origin.outerId,
    nodeType: origin.outerType,
    ...(outerInput !== undefined ? { input: outerInput } : {}),
    details: {
      ...issue.details,
      innerNode: innerId,
      innerNodeType: innerType,
      ...(issue.input !== undefined ? { innerInput: issue.input } : {}),
      subgraphs: origin.chain.map((c) => c.type),
    },
  };
}
