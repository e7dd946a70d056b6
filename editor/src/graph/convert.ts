/**
 * Canvas <-> workflow JSON. The canvas (React Flow nodes and edges) is saved as protocol's saved form;
 * both the saved and the execution (ComfyUI API) form are read back (protocol's converter turns one into
 * the other). One edge per input, so an edge's id is `<target>:<input>`; a source handle is the output
 * index as a string.
 */
import {
  type Catalog,
  columnLayout,
  type ExecutionGraph,
  executionToSaved,
  isUiForm,
  isWidgetInput,
  NOTE_TYPES,
  parseUiWorkflow,
  REROUTE_TYPE,
  type SavedEdge,
  savedGroups,
  type SavedGroup,
  type SavedNode,
  savedReroutes,
  type SavedReroute,
  type SavedWorkflow,
  uiToSaved,
} from '../../../protocol/index.ts';

import { defaultWidgetValue } from './catalog.ts';
import { socketColor } from './connection.ts';
import type { EdgeData, FlowEdge, FlowGroup, FlowNode, GraphDoc, NativeReroute, NodeData, SeedControl } from './types.ts';

/** React Flow's node type for every latentflow node (the component looks the node type up in the catalog). */
export const NODE_COMPONENT = 'latentflow';
/** React Flow's node types for ComfyUI's frontend-only nodes and for groups. */
export const NOTE_COMPONENT = 'latentflow-note';
export const REROUTE_COMPONENT = 'latentflow-reroute';
export const GROUP_COMPONENT = 'latentflow-group';
/** React Flow's edge type for a link through native reroutes. */
export const REROUTED_EDGE = 'latentflow-rerouted';
/** Groups sit under every node, selected or not (React Flow lifts a selected node by 1000). */
const GROUP_Z = -2000;

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

export function makeEdge(source: string, output: number, target: string, input: string, socketType: string, parentId?: number): FlowEdge {
  return {
    id: edgeId(target, input),
    source,
    sourceHandle: String(output),
    target,
    targetHandle: input,
    ...(parentId !== undefined ? { type: REROUTED_EDGE } : {}),
    data: { socketType, ...(parentId !== undefined ? { parentId } : {}) } satisfies EdgeData,
    style: { stroke: socketColor(socketType) },
  };
}

/** The component that draws a node type: notes and reroutes have their own, every other type is a NodeCard. */
export function componentOf(nodeType: string): string {
  return NOTE_TYPES.has(nodeType) ? NOTE_COMPONENT : nodeType === REROUTE_TYPE ? REROUTE_COMPONENT : NODE_COMPONENT;
}

export function makeNode(id: string, data: NodeData, position: { x: number; y: number }): FlowNode {
  return { id, type: componentOf(data.nodeType), position, data };
}

/** A group on the canvas: moved by its title bar, resized when selected. */
export function makeGroup(id: string, group: SavedGroup): FlowGroup {
  const [x, y, width, height] = group.bounding;
  return {
    id,
    type: GROUP_COMPONENT,
    position: { x, y },
    width,
    height,
    zIndex: GROUP_Z,
    dragHandle: '.lf-group-title',
    className: 'lf-group-node',
    data: { title: group.title, ...(group.color !== undefined ? { color: group.color } : {}), ...(group.font_size !== undefined ? { fontSize: group.font_size } : {}) },
  };
}

/** Group ids are `group:<n>`, apart from node ids. */
export function isGroupId(id: string): boolean {
  return id.startsWith('group:');
}

export function nextGroupId(groups: ReadonlyArray<{ id: string }>): string {
  let max = 0;
  for (const g of groups) max = Math.max(max, Number(g.id.slice('group:'.length)) || 0);
  return `group:${max + 1}`;
}

/** A group's rectangle: [x, y, width, height]. */
export function groupBounds(group: FlowGroup): [number, number, number, number] {
  return [group.position.x, group.position.y, group.width ?? group.measured?.width ?? 300, group.height ?? group.measured?.height ?? 200];
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
    ...(node.data.mode ? { mode: node.data.mode } : {}),
    ...(node.data.color !== undefined ? { color: node.data.color } : {}),
    ...(node.data.bgcolor !== undefined ? { bgcolor: node.data.bgcolor } : {}),
    ...(node.data.flags !== undefined ? { flags: { ...node.data.flags } } : {}),
    ...(node.data.properties !== undefined ? { properties: { ...node.data.properties } } : {}),
    // The size drawn, for ComfyUI's layout (a Reroute dot is smaller than ComfyUI's Reroute node: it takes ComfyUI's).
    ...(node.measured?.width && node.measured?.height && node.data.nodeType !== REROUTE_TYPE ? { size: { width: round(node.measured.width), height: round(node.measured.height) } } : {}),
  }));
  const edges: SavedEdge[] = doc.edges.map((edge) => ({
    from: { node: edge.source, output: Number(edge.sourceHandle ?? 0) },
    to: { node: edge.target, input: edge.targetHandle ?? '' },
    ...(edge.data?.parentId !== undefined ? { parentId: edge.data.parentId } : {}),
  }));
  const controls: Record<string, Record<string, SeedControl>> = {};
  for (const node of doc.nodes) {
    const c = node.data.controls;
    if (c && Object.keys(c).length > 0) controls[node.id] = { ...c };
  }
  const extra: Record<string, unknown> = {};
  if (Object.keys(controls).length > 0) extra.controls = controls;
  if (options.viewport) extra.viewport = options.viewport;
  const groups: SavedGroup[] = (doc.groups ?? []).map((g) => ({
    title: g.data.title,
    bounding: groupBounds(g).map(round) as SavedGroup['bounding'],
    ...(g.data.color !== undefined ? { color: g.data.color } : {}),
    ...(g.data.fontSize !== undefined ? { font_size: g.data.fontSize } : {}),
  }));
  if (groups.length > 0) extra.groups = groups;
  const reroutes: SavedReroute[] = (doc.reroutes ?? []).map((r) => ({ id: r.id, ...(r.parentId !== undefined ? { parentId: r.parentId } : {}), pos: [round(r.pos.x), round(r.pos.y)] }));
  if (reroutes.length > 0) extra.reroutes = reroutes;
  return { version: 1, name: options.name, nodes, edges, ...(Object.keys(extra).length > 0 ? { extra } : {}) };
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** A colour from a file: `#rgb`, `#rrggbb` (with alpha) or `rgb()/rgba()`; anything else is not applied. */
export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^(#[0-9a-f]{3,8}|rgba?\([\d\s.,%]+\))$/i.test(value);
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
    } else if (catalog.size > 0 && componentOf(raw.type) === NODE_COMPONENT) {
      warnings.push(`Node #${id}: type "${raw.type}" is not installed on this server; it is kept but cannot run.`);
    }
    const controls = controlsByNode[id];
    const data: NodeData = {
      nodeType: raw.type,
      widgets,
      ...(raw.title !== undefined ? { title: raw.title } : {}),
      ...(raw.version !== undefined ? { version: raw.version } : spec?.version !== undefined ? { version: spec.version } : {}),
      ...(controls ? { controls: { ...controls } } : {}),
      ...(raw.mode ? { mode: raw.mode } : {}),
      ...(isColor(raw.color) ? { color: raw.color } : {}),
      ...(isColor(raw.bgcolor) ? { bgcolor: raw.bgcolor } : {}),
      ...(raw.flags ? { flags: { ...raw.flags } } : {}),
      ...(raw.properties ? { properties: { ...raw.properties } } : {}),
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
    edges.push(makeEdge(source, edge.from.output, target, edge.to.input, socketType, edge.parentId));
  }
  const viewport = saved.extra?.viewport as LoadResult['viewport'] | undefined;
  const groups = savedGroups(saved).map((g, i) => {
    const { color, ...plain } = g;
    return makeGroup(`group:${i + 1}`, isColor(color) ? g : plain);
  });
  const reroutes: NativeReroute[] = savedReroutes(saved).map((r) => ({ id: r.id, ...(r.parentId !== undefined ? { parentId: r.parentId } : {}), pos: { x: r.pos[0], y: r.pos[1] } }));
  return { nodes, edges, groups, reroutes, warnings, ...(viewport ? { viewport } : {}) };
}

// ---------------------------------------------------------------------------------------------------
// Execution form

/** ComfyUI API files have no positions: columns by longest path, spaced for the editor's node cards. */
export const EDITOR_SPACING = { columnWidth: NODE_WIDTH + 60, rowHeight: 300 };

/** Execution -> saved, laid out in the editor's columns. */
export function importExecution(graph: ExecutionGraph, name = 'imported'): SavedWorkflow {
  return executionToSaved(graph, { name, layout: columnLayout(graph, EDITOR_SPACING) });
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
export function readWorkflowJson(json: unknown, fallbackName = 'imported', catalog?: Catalog): SavedWorkflow {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new WorkflowFormatError('This is not a workflow: expected a JSON object (the saved form with "nodes", or the API form keyed by node id).');
  }
  const obj = json as Record<string, unknown>;
  if (isUiForm(json)) {
    // ComfyUI's UI format: drawn as queueing would run it (reroutes, primitives and subgraphs resolved).
    const { workflow, issues } = parseUiWorkflow(json);
    if (!workflow) throw new WorkflowFormatError(`This ComfyUI workflow could not be read: ${issues.slice(0, 3).map((i) => i.message).join(' ')}`);
    const latentflow = (workflow.extra as { latentflow?: { name?: unknown } } | null | undefined)?.latentflow;
    const name = typeof latentflow?.name === 'string' && latentflow.name !== '' ? latentflow.name : fallbackName;
    return uiToSaved(workflow, catalog ? { nodeSpec: (type) => catalog.get(type) } : undefined, name).workflow;
  }
  if (Array.isArray(obj.nodes)) {
    const nodes = obj.nodes as Array<Record<string, unknown>>;
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
      edges: edges.map((e) => ({
        from: { node: String(e.from.node), output: e.from.output },
        to: { node: String(e.to.node), input: e.to.input },
        ...(Number.isInteger(e.parentId) ? { parentId: e.parentId } : {}),
      })),
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
  return importExecution(obj as ExecutionGraph, fallbackName);
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
