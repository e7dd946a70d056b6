/**
 * The two workflow forms and the converter between them.
 *
 * Execution form: ComfyUI's API format, what the runner executes and `/prompt` accepts:
 *   { "3": { "class_type": "KSampler", "inputs": { "seed": 5, "model": ["4", 0] } }, ... }
 * an input is a widget value or a link `[nodeId, outputIndex]`.
 *
 * Saved form: the editor's view, what the workflow store keeps:
 *   { "version": 1, "name": "txt2img",
 *     "nodes": [{ "id": "3", "type": "KSampler", "position": { "x": 0, "y": 0 }, "widgets": { "seed": 5 } }],
 *     "edges": [{ "from": { "node": "4", "output": 0 }, "to": { "node": "3", "input": "model" } }] }
 *
 * Both are accepted wherever a workflow is (`parseWorkflow`); `savedToExecution` maps saved -> execution
 * and `executionToSaved` goes back (positions from a simple layered layout unless given).
 */
import { z } from 'zod';

import { asLink, type Link } from './link.ts';
import type { NodeRegistry } from './registry.ts';

export { asLink, type Link };

// ---------------------------------------------------------------------------------------------------
// Execution form


export interface ExecutionNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string; [key: string]: unknown };
}

/** ComfyUI API format: node id -> node. */
export type ExecutionGraph = Record<string, ExecutionNode>;


/** The links of a node, by input name (malformed ones left out). */
export function nodeLinks(node: ExecutionNode): Array<[input: string, link: Link]> {
  const out: Array<[string, Link]> = [];
  for (const [input, value] of Object.entries(node.inputs)) {
    const link = asLink(value);
    if (link) out.push([input, link]);
  }
  return out;
}

const executionNodeSchema = z.object({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()).default({}),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});

/** zod schema of the execution form (shape only; the runner's validateGraph checks it against the catalog). */
export const executionGraphSchema = z.record(z.string().min(1), executionNodeSchema);

// ---------------------------------------------------------------------------------------------------
// Saved form

export interface SavedNode {
  id: string;
  type: string;
  /** The node type's version when saved; an older one is migrated by the node's `migrate`. */
  version?: number;
  title?: string;
  position: { x: number; y: number };
  size?: { width: number; height: number };
  /** Widget values by input name. */
  widgets: Record<string, unknown>;
}

export interface SavedEdge {
  from: { node: string; output: number };
  to: { node: string; input: string };
}

export interface SavedWorkflow {
  /** Version of this saved format. */
  version: 1;
  name: string;
  nodes: SavedNode[];
  edges: SavedEdge[];
  /** Editor state that is not the graph (viewport, groups, ...). */
  extra?: Record<string, unknown>;
}

const nodeIdSchema = z.union([z.string().min(1), z.number().int()]).transform(String);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const savedNodeSchema = z.object({
  id: nodeIdSchema,
  type: z.string().min(1),
  version: z.number().int().min(1).optional(),
  title: z.string().optional(),
  position: z.object({ x: finite, y: finite }),
  size: z.object({ width: finite, height: finite }).optional(),
  widgets: z.record(z.string(), z.unknown()).default({}),
});

const savedEdgeSchema = z.object({
  from: z.object({ node: nodeIdSchema, output: z.number().int().min(0) }),
  to: z.object({ node: nodeIdSchema, input: z.string().min(1) }),
});

/** zod schema of the saved form. */
export const savedWorkflowSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  nodes: z.array(savedNodeSchema),
  edges: z.array(savedEdgeSchema).default([]),
  extra: z.record(z.string(), z.unknown()).optional(),
});

// ---------------------------------------------------------------------------------------------------
// Parsing

/** A problem with a workflow's JSON (same shape as the runner's GraphIssue). */
export interface WorkflowIssue {
  code: 'workflow_invalid' | 'link_invalid';
  message: string;
  nodeId?: string;
  input?: string;
  details?: Record<string, unknown>;
}

function zodIssues(error: z.ZodError, form: 'execution' | 'saved', nodeIdAt: (path: PropertyKey[]) => string | undefined): WorkflowIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    const nodeId = nodeIdAt(issue.path);
    const where = path.length > 0 ? `at "${path.join('.')}"` : 'at the top level';
    return {
      code: 'workflow_invalid',
      message: `Workflow (${form} form) ${where}: ${issue.message}.`,
      ...(nodeId !== undefined ? { nodeId } : {}),
      details: { path, reason: issue.code },
    };
  });
}

/**
 * `__proto__` as a node id or input name: JSON.parse keeps it as an own key, but every `obj[key] = v`
 * afterwards (zod's record parsing, the converter) sets the object's prototype instead, so the node or
 * input silently vanished. Such keys are refused up front, with the node they are in.
 */
const RESERVED_KEY = '__proto__';

function reservedKeyIssue(what: string, path: PropertyKey[], nodeId?: string): WorkflowIssue {
  return {
    code: 'workflow_invalid',
    message: `Workflow: "${RESERVED_KEY}" cannot be used as ${what}; rename it.`,
    ...(nodeId !== undefined ? { nodeId } : {}),
    details: { path: path.map(String), reason: 'reserved_name' },
  };
}

const ownKeys = (value: unknown): string[] => (typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : []);

function executionReservedKeys(json: object): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  for (const id of Object.keys(json)) {
    if (id === RESERVED_KEY) issues.push(reservedKeyIssue('a node id', [id]));
    else if (ownKeys((json as Record<string, { inputs?: unknown }>)[id]?.inputs).includes(RESERVED_KEY)) issues.push(reservedKeyIssue('an input name', [id, 'inputs', RESERVED_KEY], id));
  }
  return issues;
}

function savedReservedKeys(json: unknown): WorkflowIssue[] {
  const issues: WorkflowIssue[] = [];
  const { nodes, edges } = (json ?? {}) as { nodes?: unknown; edges?: unknown };
  if (Array.isArray(nodes)) {
    nodes.forEach((node: { id?: unknown; widgets?: unknown } | null, i) => {
      const id = typeof node?.id === 'string' || typeof node?.id === 'number' ? String(node.id) : undefined;
      if (id === RESERVED_KEY) issues.push(reservedKeyIssue('a node id', ['nodes', i, 'id']));
      else if (ownKeys(node?.widgets).includes(RESERVED_KEY)) issues.push(reservedKeyIssue('a widget name', ['nodes', i, 'widgets', RESERVED_KEY], id));
    });
  }
  if (Array.isArray(edges)) {
    edges.forEach((edge: { to?: { node?: unknown; input?: unknown } } | null, i) => {
      if (edge?.to?.node === RESERVED_KEY || edge?.to?.input === RESERVED_KEY) issues.push(reservedKeyIssue('a node id or input name', ['edges', i, 'to']));
    });
  }
  return issues;
}

/** Parses the execution form; on failure every shape problem is an issue. */
export function parseExecutionGraph(json: unknown): { graph?: ExecutionGraph; issues: WorkflowIssue[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { issues: [{ code: 'workflow_invalid', message: 'Workflow: expected an object of nodes keyed by id ({ "3": { "class_type": ..., "inputs": ... } }).', details: { path: [], reason: 'invalid_type' } }] };
  }
  const reserved = executionReservedKeys(json);
  if (reserved.length > 0) return { issues: reserved };
  const parsed = executionGraphSchema.safeParse(json);
  if (!parsed.success) return { issues: zodIssues(parsed.error, 'execution', (p) => (p.length > 0 ? String(p[0]) : undefined)) };
  const graph: ExecutionGraph = {};
  for (const [id, node] of Object.entries(parsed.data)) {
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node.inputs)) inputs[name] = asLink(value) ?? value;
    graph[id] = { class_type: node.class_type, inputs, ...(node._meta ? { _meta: node._meta } : {}) };
  }
  return { graph, issues: [] };
}

/** Parses the saved form; on failure every shape problem is an issue. */
export function parseSavedWorkflow(json: unknown): { workflow?: SavedWorkflow; issues: WorkflowIssue[] } {
  const reserved = savedReservedKeys(json);
  if (reserved.length > 0) return { issues: reserved };
  const parsed = savedWorkflowSchema.safeParse(json);
  if (!parsed.success) {
    const nodes = (json as { nodes?: unknown })?.nodes;
    const nodeIdAt = (p: PropertyKey[]) => {
      if (p[0] !== 'nodes' || typeof p[1] !== 'number' || !Array.isArray(nodes)) return undefined;
      const id = (nodes[p[1]] as { id?: unknown } | undefined)?.id;
      return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
    };
    return { issues: zodIssues(parsed.error, 'saved', nodeIdAt) };
  }
  return { workflow: parsed.data as SavedWorkflow, issues: [] };
}

/** Whether JSON looks like the saved form (has a `nodes` array) rather than the execution form. */
export function isSavedForm(json: unknown): boolean {
  return typeof json === 'object' && json !== null && Array.isArray((json as { nodes?: unknown }).nodes);
}

/**
 * Accepts either form and returns the execution form (plus the saved one when that was given).
 * With a registry, saved nodes of an older type version are migrated.
 */
export function parseWorkflow(
  json: unknown,
  registry?: NodeRegistry,
): { form: 'saved' | 'execution'; graph?: ExecutionGraph; saved?: SavedWorkflow; issues: WorkflowIssue[] } {
  if (!isSavedForm(json)) return { form: 'execution', ...parseExecutionGraph(json) };
  const { workflow, issues } = parseSavedWorkflow(json);
  if (!workflow) return { form: 'saved', issues };
  const converted = savedToExecution(workflow, registry);
  return { form: 'saved', saved: workflow, graph: converted.graph, issues: converted.issues };
}

// ---------------------------------------------------------------------------------------------------
// Conversion

/**
 * Saved -> execution. Widget values become inputs, edges become links (an edge wins over a stale
 * widget value of the same input). Edges into missing nodes, duplicate node ids and two edges into one
 * input are issues; a link from a missing node is kept for validateGraph to report.
 */
export function savedToExecution(saved: SavedWorkflow, registry?: NodeRegistry): { graph: ExecutionGraph; issues: WorkflowIssue[] } {
  const graph: ExecutionGraph = {};
  const issues: WorkflowIssue[] = [];
  for (const node of saved.nodes) {
    if (Object.hasOwn(graph, node.id)) {
      issues.push({ code: 'workflow_invalid', message: `Workflow: two nodes have id "${node.id}"; give each node its own id.`, nodeId: node.id, details: { reason: 'duplicate_id' } });
      continue;
    }
    let widgets = { ...node.widgets };
    const definition = registry?.get(node.type);
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

/**
 * Execution -> saved. Links become edges, other inputs widget values; positions come from `layout`
 * or a layered layout (column = longest path from a source). With a registry, node versions are recorded.
 */
export function executionToSaved(
  graph: ExecutionGraph,
  options: { name?: string; layout?: Record<string, { x: number; y: number }>; registry?: NodeRegistry } = {},
): SavedWorkflow {
  const layout = options.layout ?? layeredLayout(graph);
  const nodes: SavedNode[] = [];
  const edges: SavedEdge[] = [];
  for (const [id, node] of Object.entries(graph)) {
    const widgets: Record<string, unknown> = {};
    for (const [input, value] of Object.entries(node.inputs)) {
      const link = asLink(value);
      if (link) edges.push({ from: { node: link[0], output: link[1] }, to: { node: id, input } });
      else widgets[input] = value;
    }
    const version = options.registry?.get(node.class_type)?.version;
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

/** Column = longest path from a source (Kahn's algorithm, no recursion); nodes in a cycle stay in column 0. */
function layeredLayout(graph: ExecutionGraph): Record<string, { x: number; y: number }> {
  const ids = Object.keys(graph);
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  const consumers = new Map<string, string[]>();
  for (const id of ids) {
    for (const [, [from]] of nodeLinks(graph[id])) {
      if (!indegree.has(from)) continue;
      indegree.set(id, indegree.get(id)! + 1);
      const list = consumers.get(from);
      if (list) list.push(id);
      else consumers.set(from, [id]);
    }
  }
  const column = new Map<string, number>(ids.map((id) => [id, 0]));
  const ready = ids.filter((id) => indegree.get(id) === 0);
  while (ready.length > 0) {
    const id = ready.pop()!;
    for (const consumer of consumers.get(id) ?? []) {
      column.set(consumer, Math.max(column.get(consumer)!, column.get(id)! + 1));
      indegree.set(consumer, indegree.get(consumer)! - 1);
      if (indegree.get(consumer) === 0) ready.push(consumer);
    }
  }
  const rows = new Map<number, number>();
  const layout: Record<string, { x: number; y: number }> = {};
  for (const id of ids) {
    const c = column.get(id)!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    layout[id] = { x: c * 320, y: r * 240 };
  }
  return layout;
}
