/**
 * The converter between the workflow forms: saved -> execution (what runs) and execution -> saved
 * (what the editor draws). The one place a form becomes another; a new form (issue 18: ComfyUI's UI
 * format) adds its mapping here.
 *
 * @example
 *   const { graph, issues } = savedToExecution(saved, registry);   // registry: migrates older node versions
 *   const back = executionToSaved(graph, { name: 'txt2img' });      // laid out in columns
 */
import type { Issue } from '../issues.ts';
import { asLink, type Link } from '../link.ts';
import type { ExecutionGraph } from './execution.ts';
import { columnLayout } from './layout.ts';
import type { SavedEdge, SavedNode, SavedWorkflow } from './saved.ts';

/**
 * What the converter needs to know of node types: their current version, and how to upgrade widget
 * values saved with an older one. The node registry is one (`registry.get(type)` gives the definition).
 */
export interface NodeVersions {
  get(type: string): { version: number; migrate?(widgets: Record<string, unknown>, fromVersion: number): Record<string, unknown> } | undefined;
}

/**
 * Saved -> execution. Widget values become inputs, edges become links (an edge wins over a stale
 * widget value of the same input). Edges into missing nodes, duplicate node ids and two edges into one
 * input are issues (the first one is kept); a link from a missing node is kept for validateGraph to
 * report. With `versions`, saved nodes of an older type version are migrated.
 */
export function savedToExecution(saved: SavedWorkflow, versions?: NodeVersions): { graph: ExecutionGraph; issues: Issue[] } {
  const graph: ExecutionGraph = {};
  const issues: Issue[] = [];
  for (const node of saved.nodes) {
    if (Object.hasOwn(graph, node.id)) {
      issues.push({ code: 'workflow_invalid', message: `Workflow: two nodes have id "${node.id}"; give each node its own id.`, nodeId: node.id, details: { reason: 'duplicate_id' } });
      continue;
    }
    let widgets = { ...node.widgets };
    const definition = versions?.get(node.type);
    if (definition?.migrate && node.version !== undefined && node.version < definition.version) {
      widgets = Object.fromEntries(Object.entries(definition.migrate(widgets, node.version)).filter(([, v]) => v !== undefined));
    }
    graph[node.id] = { class_type: node.type, inputs: widgets, ...(node.title !== undefined ? { _meta: { title: node.title } } : {}) };
  }
  const linked = new Set<string>();
  for (const edge of saved.edges) {
    const target = graph[edge.to.node];
    const key = `${edge.to.node}\u0000${edge.to.input}`;
    if (!target) {
      issues.push({
        code: 'link_invalid',
        message: `Workflow: an edge goes into node "${edge.to.node}", which does not exist; delete the edge.`,
        nodeId: edge.to.node,
        input: edge.to.input,
        details: { from: edge.from, reason: 'target_missing' },
      });
    } else if (linked.has(key)) {
      issues.push({
        code: 'link_invalid',
        message: `${target.class_type} #${edge.to.node}: input "${edge.to.input}" has more than one edge; keep one.`,
        nodeId: edge.to.node,
        input: edge.to.input,
        details: { from: edge.from, reason: 'input_linked_twice' },
      });
    } else {
      linked.add(key);
      target.inputs[edge.to.input] = [edge.from.node, edge.from.output] satisfies Link;
    }
  }
  return { graph, issues };
}

export interface ExecutionToSavedOptions {
  /** The saved workflow's name (default "workflow"). */
  name?: string;
  /** Node positions by id (default: columnLayout with its default spacing). */
  layout?: Record<string, { x: number; y: number }>;
  /** Records each node type's current version. */
  versions?: NodeVersions;
}

/** Execution -> saved. Links become edges, other inputs widget values; titles are kept. */
export function executionToSaved(graph: ExecutionGraph, options: ExecutionToSavedOptions = {}): SavedWorkflow {
  const layout = options.layout ?? columnLayout(graph);
  const nodes: SavedNode[] = [];
  const edges: SavedEdge[] = [];
  for (const [id, node] of Object.entries(graph)) {
    const widgets: Record<string, unknown> = {};
    for (const [input, value] of Object.entries(node.inputs)) {
      const link = asLink(value);
      if (link) edges.push({ from: { node: link[0], output: link[1] }, to: { node: id, input } });
      else widgets[input] = value;
    }
    const version = options.versions?.get(node.class_type)?.version;
    nodes.push({
      id,
      type: node.class_type,
      ...(version !== undefined ? { version } : {}),
      ...(node._meta?.title !== undefined ? { title: node._meta.title } : {}),
      position: layout[id] ?? { x: 0, y: 0 },
      widgets,
    });
  }
  return { version: 1, name: options.name ?? 'workflow', nodes, edges };
}
