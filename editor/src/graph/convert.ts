/**
 * Canvas <-> workflow JSON. The canvas (React Flow nodes and edges) is saved as the saved form of
 * nodes/workflow.ts; both the saved and the execution (ComfyUI API) form are read back. One edge per
 * input, so an edge's id is `<target>:<input>`; a source handle is the output index as a string.
 */
import { asLink, type Link } from '../../../protocol/index.ts';
import type { ExecutionGraph, SavedEdge, SavedNode, SavedWorkflow } from '../api/types.ts';

import { defaultWidgetValue, isWidgetInput, type Catalog } from './catalog.ts';
import { socketColor } from './connection.ts';
import type { EdgeData, FlowEdge, FlowNode, GraphDoc, NodeData, SeedControl } from './types.ts';

/** React Flow's node type for every latentflow node (the component looks the node type up in the catalog). */
export const NODE_COMPONENT = 'latentflow';

export const NODE_WIDTH = 280;

export function edgeId(target: string, input: string): string {
  return `${target}:${input}`;
}

/** The socket type an edge carries: the source output's type, else the target input's, else `*`. */
export function edgeSocketType(catalog: Catalog, sourceType: string | undefined, output: number, targetType: string | undefined, input: string): string {
  const out = sourceType ? catalog.get(sourceType)?.outputs[output]?.type : undefined;
  if (out) return out;
  const inp = targetType ? catalog.get(targetType)?.inputs.find((i) => i.name === input) : undefined;
  return inp && inp.kind === 'socket' ? inp.type : '*';
}

export function makeEdge(source: string, output: number, target: string, input: string, socketType: string): FlowEdge {
  return {
    id: edgeId(target, input),
    source,
    sourceHandle: String(output),
    target,
    targetHandle: input,
    data: { socketType } satisfies EdgeData,
    style: { stroke: socketColor(socketType) },
  };
}

export function makeNode(id: string, data: NodeData, position: { x: number; y: number }): FlowNode {
  return { id, type: NODE_COMPONENT, position, data };
}

// ---------------------------------------------------------------------------------------------------
// Canvas -> saved form

export interface SaveOptions {
  name: string;
  viewport?: { x: number; y: number; zoom: number };
}

/** The saved form of the canvas. Seed controls and the viewport go in `extra`. */
export function toSaved(doc: GraphDoc, options: SaveOptions): SavedWorkflow {
  const nodes: SavedNode[] = doc.nodes.map((node) => ({
    id: node.id,
    type: node.data.nodeType,
    ...(node.data.version !== undefined ? { version: node.data.version } : {}),
    ...(node.data.title !== undefined ? { title: node.data.title } : {}),
    position: { x: round(node.position.x), y: round(node.position.y) },
    widgets: { ...node.data.widgets },
  }));
  const edges: SavedEdge[] = doc.edges.map((edge) => ({
    from: { node: edge.source, output: Number(edge.sourceHandle ?? 0) },
    to: { node: edge.target, input: edge.targetHandle ?? '' },
  }));
  const controls: Record<string, Record<string, SeedControl>> = {};
  for (const node of doc.nodes) {
    const c = node.data.controls;
    if (c && Object.keys(c).length > 0) controls[node.id] = { ...c };
  }
  const extra: Record<string, unknown> = {};
  if (Object.keys(controls).length > 0) extra.controls = controls;
  if (options.viewport) extra.viewport = options.viewport;
  return { version: 1, name: options.name, nodes, edges, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

// ---------------------------------------------------------------------------------------------------
// Saved form -> canvas

export interface LoadResult extends GraphDoc {
  /** Things the user should know (unknown node types, dropped edges); the canvas keeps what it can. */
  warnings: string[];
  viewport?: { x: number; y: number; zoom: number };
}

/**
 * The canvas of a saved workflow. Widgets missing from the JSON get their defaults; values for unknown
 * inputs and nodes of unknown types are kept (shown as "missing" so nothing is lost).
 */
export function fromSaved(saved: SavedWorkflow, catalog: Catalog): LoadResult {
  const warnings: string[] = [];
  const controlsByNode = (saved.extra?.controls ?? {}) as Record<string, Record<string, SeedControl>>;
  const nodes: FlowNode[] = [];
  const typeOf = new Map<string, string>();
  for (const raw of saved.nodes) {
    const id = String(raw.id);
    if (typeOf.has(id)) {
      warnings.push(`Two nodes have id "${id}"; the second (${raw.type}) was dropped.`);
      continue;
    }
    typeOf.set(id, raw.type);
    const spec = catalog.get(raw.type);
    const widgets: Record<string, unknown> = { ...(raw.widgets ?? {}) };
    if (spec) {
      for (const input of spec.inputs) if (isWidgetInput(input) && !(input.name in widgets)) widgets[input.name] = defaultWidgetValue(input);
    } else if (catalog.size > 0) {
      warnings.push(`Node #${id}: type "${raw.type}" is not installed on this server; it is kept but cannot run.`);
    }
    const controls = controlsByNode[id];
    const data: NodeData = {
      nodeType: raw.type,
      widgets,
      ...(raw.title !== undefined ? { title: raw.title } : {}),
      ...(raw.version !== undefined ? { version: raw.version } : spec?.version !== undefined ? { version: spec.version } : {}),
      ...(controls ? { controls: { ...controls } } : {}),
    };
    nodes.push(makeNode(id, data, { x: raw.position?.x ?? 0, y: raw.position?.y ?? 0 }));
  }
  const edges: FlowEdge[] = [];
  const taken = new Set<string>();
  for (const edge of saved.edges ?? []) {
    const source = String(edge.from.node);
    const target = String(edge.to.node);
    if (!typeOf.has(source) || !typeOf.has(target)) {
      warnings.push(`An edge from #${source} to #${target}.${edge.to.input} points at a missing node and was dropped.`);
      continue;
    }
    const id = edgeId(target, edge.to.input);
    if (taken.has(id)) {
      warnings.push(`Input "${edge.to.input}" of #${target} had two edges; the first was kept.`);
      continue;
    }
    taken.add(id);
    const socketType = edgeSocketType(catalog, typeOf.get(source), edge.from.output, typeOf.get(target), edge.to.input);
    // A linked widget input keeps its value (hidden while linked, back when the link goes; the edge wins on the server).
    edges.push(makeEdge(source, edge.from.output, target, edge.to.input, socketType));
  }
  const viewport = saved.extra?.viewport as LoadResult['viewport'] | undefined;
  return { nodes, edges, warnings, ...(viewport ? { viewport } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Execution form

/** Saved -> execution (the "export API" file): widgets become inputs, edges links (an edge wins). */
export function savedToExecution(saved: SavedWorkflow): ExecutionGraph {
  const graph: ExecutionGraph = {};
  for (const node of saved.nodes) {
    graph[node.id] = { class_type: node.type, inputs: { ...node.widgets }, ...(node.title !== undefined ? { _meta: { title: node.title } } : {}) };
  }
  for (const edge of saved.edges) {
    const target = graph[edge.to.node];
    if (target) target.inputs[edge.to.input] = [edge.from.node, edge.from.output] satisfies Link;
  }
  return graph;
}

/** Execution -> saved, laid out in columns by longest path from a source (ComfyUI API files have no positions). */
export function executionToSaved(graph: ExecutionGraph, name = 'imported'): SavedWorkflow {
  const ids = Object.keys(graph);
  const links = new Map<string, Array<[string, Link]>>();
  for (const id of ids) {
    const list: Array<[string, Link]> = [];
    for (const [input, value] of Object.entries(graph[id].inputs ?? {})) {
      const link = asLink(value);
      if (link) list.push([input, link]);
    }
    links.set(id, list);
  }
  const column = layeredColumns(ids, links);
  const rows = new Map<number, number>();
  const nodes: SavedNode[] = [];
  const edges: SavedEdge[] = [];
  for (const id of ids) {
    const node = graph[id];
    const widgets: Record<string, unknown> = {};
    for (const [input, value] of Object.entries(node.inputs ?? {})) if (!asLink(value)) widgets[input] = value;
    for (const [input, [from, output]] of links.get(id)!) edges.push({ from: { node: from, output }, to: { node: id, input } });
    const c = column.get(id)!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    nodes.push({
      id,
      type: node.class_type,
      ...(node._meta?.title !== undefined ? { title: node._meta.title } : {}),
      position: { x: c * (NODE_WIDTH + 60), y: r * 300 },
      widgets,
    });
  }
  return { version: 1, name, nodes, edges };
}

/** Column = longest path from a source (Kahn's algorithm); nodes in a cycle stay in column 0. */
function layeredColumns(ids: string[], links: Map<string, Array<[string, Link]>>): Map<string, number> {
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  const consumers = new Map<string, string[]>();
  for (const id of ids) {
    for (const [, [from]] of links.get(id)!) {
      if (!indegree.has(from)) continue;
      indegree.set(id, indegree.get(id)! + 1);
      consumers.set(from, [...(consumers.get(from) ?? []), id]);
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
  return column;
}

// ---------------------------------------------------------------------------------------------------
// Reading a workflow file of either form

export class WorkflowFormatError extends Error {
  override name = 'WorkflowFormatError';
}

/**
 * A saved workflow from JSON of either form (saved: has a `nodes` array of `{ id, type, position }`;
 * execution: `{ "<id>": { class_type, inputs } }`). Throws WorkflowFormatError saying what was expected.
 */
export function readWorkflowJson(json: unknown, fallbackName = 'imported'): SavedWorkflow {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new WorkflowFormatError('This is not a workflow: expected a JSON object (the saved form with "nodes", or the API form keyed by node id).');
  }
  const obj = json as Record<string, unknown>;
  if (Array.isArray(obj.nodes)) {
    const nodes = obj.nodes as Array<Record<string, unknown>>;
    const litegraph = nodes.some((n) => n && Array.isArray(n.pos) && !('position' in n));
    if (litegraph) {
      throw new WorkflowFormatError('This is a ComfyUI UI workflow (LiteGraph "pos"/"widgets_values"); export it from ComfyUI with "Save (API format)" and import that file.');
    }
    nodes.forEach((n, i) => {
      const ok = n && (typeof n.id === 'string' || typeof n.id === 'number') && typeof n.type === 'string' && typeof n.position === 'object' && n.position !== null;
      if (!ok) throw new WorkflowFormatError(`Workflow node ${i} needs "id", "type" and "position" ({ "x", "y" }).`);
    });
    const edges = Array.isArray(obj.edges) ? (obj.edges as SavedEdge[]) : [];
    edges.forEach((e, i) => {
      const ok = e && typeof e.from === 'object' && e.from !== null && typeof e.to === 'object' && e.to !== null && typeof e.to.input === 'string' && Number.isInteger(e.from.output);
      if (!ok) throw new WorkflowFormatError(`Workflow edge ${i} needs "from": { "node", "output" } and "to": { "node", "input" }.`);
    });
    return {
      version: 1,
      name: typeof obj.name === 'string' && obj.name !== '' ? obj.name : fallbackName,
      nodes: nodes.map((n) => ({
        ...(n as unknown as SavedNode),
        id: String(n.id),
        widgets: (typeof n.widgets === 'object' && n.widgets !== null ? n.widgets : {}) as Record<string, unknown>,
      })),
      edges: edges.map((e) => ({ from: { node: String(e.from.node), output: e.from.output }, to: { node: String(e.to.node), input: e.to.input } })),
      ...(typeof obj.extra === 'object' && obj.extra !== null ? { extra: obj.extra as Record<string, unknown> } : {}),
    };
  }
  const entries = Object.entries(obj);
  if (entries.length === 0) throw new WorkflowFormatError('This workflow is empty.');
  for (const [id, node] of entries) {
    const n = node as { class_type?: unknown; inputs?: unknown } | null;
    if (!n || typeof n !== 'object' || typeof n.class_type !== 'string') {
      throw new WorkflowFormatError(`This is not a workflow: entry "${id}" has no "class_type" (expected the saved form with "nodes", or the API form { "<id>": { "class_type", "inputs" } }).`);
    }
  }
  return executionToSaved(obj as ExecutionGraph, fallbackName);
}

// ---------------------------------------------------------------------------------------------------
// Ids and copies

/** The next free numeric id (ComfyUI style: "1", "2", ...), above every numeric id in use. */
export function nextNodeId(nodes: ReadonlyArray<{ id: string }>): string {
  let max = 0;
  for (const node of nodes) {
    const n = Number(node.id);
    if (Number.isInteger(n) && n > max) max = n;
  }
  return String(max + 1);
}

/**
 * A copy of `doc` (nodes and the edges between them) with fresh ids above those in `existing`,
 * moved so its top-left corner is at `at` (or by 40 px when `at` is not given). The copies are selected.
 */
export function cloneFragment(doc: GraphDoc, existing: ReadonlyArray<{ id: string }>, at?: { x: number; y: number }): GraphDoc {
  let next = Number(nextNodeId(existing));
  const ids = new Map<string, string>();
  for (const node of doc.nodes) ids.set(node.id, String(next++));
  const minX = Math.min(...doc.nodes.map((n) => n.position.x));
  const minY = Math.min(...doc.nodes.map((n) => n.position.y));
  const dx = at ? at.x - minX : 40;
  const dy = at ? at.y - minY : 40;
  const nodes = doc.nodes.map((node) => ({
    ...makeNode(ids.get(node.id)!, structuredClone(node.data), { x: node.position.x + dx, y: node.position.y + dy }),
    selected: true,
  }));
  const edges = doc.edges
    .filter((edge) => ids.has(edge.source) && ids.has(edge.target))
    .map((edge) =>
      makeEdge(ids.get(edge.source)!, Number(edge.sourceHandle ?? 0), ids.get(edge.target)!, edge.targetHandle ?? '', edge.data?.socketType ?? '*'),
    );
  return { nodes, edges };
}
