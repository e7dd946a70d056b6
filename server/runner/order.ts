/**
 * Topological order of a workflow, restricted to what the given roots (its output nodes) need, and
 * cycle detection. Both are iterative (explicit stacks), so a 10,000-node chain cannot overflow the
 * call stack. Links to nodes that do not exist are skipped here; validateGraph reports them.
 */
import { compareNodeIds, type ExecutionGraph, type Issue, nodeLabel, nodeLinks } from '../../protocol/index.ts';

export type OrderResult = { ok: true; order: string[] } | { ok: false; issue: Issue };

/** The ids a node links from, in input order, de-duplicated, existing nodes only. */
function dependencies(graph: ExecutionGraph, id: string): string[] {
  const out: string[] = [];
  for (const [, [from]] of nodeLinks(graph[id])) if (Object.hasOwn(graph, from) && !out.includes(from)) out.push(from);
  return out;
}

/**
 * The nodes `roots` need, each after everything it links from; nodes no root needs are left out.
 * On a loop, the issue names the nodes in it (details.nodes, in link order).
 *
 * @example
 *   const result = orderGraph(graph, ['9']);   // SaveImage #9
 *   if (result.ok) for (const id of result.order) await run(id);
 */
export function orderGraph(graph: ExecutionGraph, roots: readonly string[]): OrderResult {
  const DONE = 2;
  const ON_STACK = 1;
  const state = new Map<string, number>();
  const order: string[] = [];
  const stack: Array<{ id: string; deps: string[]; next: number }> = [];
  const stackIndex = new Map<string, number>();
  for (const root of roots) {
    if (!Object.hasOwn(graph, root) || state.get(root) === DONE) continue;
    stack.push({ id: root, deps: dependencies(graph, root), next: 0 });
    stackIndex.set(root, 0);
    state.set(root, ON_STACK);
    while (stack.length > 0) {
      const frame = stack[stack.length - 1];
      if (frame.next < frame.deps.length) {
        const dep = frame.deps[frame.next++];
        const s = state.get(dep);
        if (s === DONE) continue;
        if (s === ON_STACK) {
          const nodes = stack.slice(stackIndex.get(dep)!).map((f) => f.id).reverse();
          return { ok: false, issue: cycleIssue(graph, nodes) };
        }
        stackIndex.set(dep, stack.length);
        stack.push({ id: dep, deps: dependencies(graph, dep), next: 0 });
        state.set(dep, ON_STACK);
      } else {
        stack.pop();
        stackIndex.delete(frame.id);
        state.set(frame.id, DONE);
        order.push(frame.id);
      }
    }
  }
  return { ok: true, order };
}

/**
 * Every loop in the graph: the strongly connected components with more than one node, or one node
 * linked to itself (Tarjan's algorithm with an explicit stack). Each list is sorted by node id.
 */
export function findCycles(graph: ExecutionGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const component: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (id: string) => {
    index.set(id, counter);
    low.set(id, counter);
    counter++;
    component.push(id);
    onStack.add(id);
    return { id, deps: dependencies(graph, id), next: 0 };
  };
  for (const start of Object.keys(graph)) {
    if (index.has(start)) continue;
    const calls = [visit(start)];
    while (calls.length > 0) {
      const frame = calls[calls.length - 1];
      if (frame.next < frame.deps.length) {
        const dep = frame.deps[frame.next++];
        if (!index.has(dep)) calls.push(visit(dep));
        else if (onStack.has(dep)) low.set(frame.id, Math.min(low.get(frame.id)!, index.get(dep)!));
        continue;
      }
      calls.pop();
      if (calls.length > 0) {
        const parent = calls[calls.length - 1].id;
        low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
      }
      if (low.get(frame.id) !== index.get(frame.id)) continue;
      const members: string[] = [];
      let member: string;
      do {
        member = component.pop()!;
        onStack.delete(member);
        members.push(member);
      } while (member !== frame.id);
      if (members.length > 1 || frame.deps.includes(frame.id)) cycles.push(members.sort(compareNodeIds));
    }
  }
  return cycles;
}

/** Nodes a loop's message names, and nodes its `details.nodes` lists (`details.nodesTotal` counts them all). */
const CYCLE_NODES_NAMED = 10;
const CYCLE_NODES_LISTED = 100;

/** The issue for a loop through `nodes`. */
export function cycleIssue(graph: ExecutionGraph, nodes: string[]): Issue {
  const first = nodes[0];
  const label = (id: string) => nodeLabel(Object.hasOwn(graph, id) ? graph[id].class_type : '?', id);
  const named = nodes.slice(0, CYCLE_NODES_NAMED).map(label).join(' -> ');
  const rest = nodes.length > CYCLE_NODES_NAMED ? ` -> ... (${nodes.length} nodes in all)` : '';
  return {
    code: 'cycle',
    message: `Nodes ${named}${rest} form a loop; remove one of the links between them.`,
    nodeId: first,
    nodeType: Object.hasOwn(graph, first) ? graph[first].class_type : undefined,
    details: { nodes: nodes.slice(0, CYCLE_NODES_LISTED), nodesTotal: nodes.length },
  };
}
