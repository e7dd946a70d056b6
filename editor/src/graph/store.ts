/**
 * The canvas store: nodes, edges and every mutation of them, with undo/redo. Components call these
 * actions (never callbacks passed through node data) and read with selectors, so a widget edit
 * re-renders one node, not the canvas.
 */
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';

import { defaultWidgets } from './catalog.ts';
import { type Catalog, NOTE_TYPES, REROUTE_INPUT, REROUTE_TYPE } from '../../../protocol/index.ts';
import { connectionProblem, wouldCreateCycle } from './connection.ts';
import { cloneFragment, edgeSocketType, groupBounds, isGroupId, makeEdge, makeGroup, makeNode, nextGroupId, nextNodeId } from './convert.ts';
import { groupMembers, groupAround } from './groups.ts';
import { emptyHistory, record, redo, snapshot, undo, type History } from './history.ts';
import type { CanvasNode, FlowEdge, FlowGroup, FlowNode, GraphDoc, NativeReroute, NodeData, SeedControl } from './types.ts';

export type { CanvasNode } from './types.ts';

/** ComfyUI's node modes the editor toggles: muted (Ctrl+M) and bypassed (Ctrl+B). */
export const MODE_MUTED = 2;
export const MODE_BYPASSED = 4;

export interface DocumentMeta {
  /** The stored workflow this canvas was opened from / saved as (null: never saved). */
  name: string | null;
  revision: number | null;
}

export interface GraphState extends GraphDoc, DocumentMeta {
  groups: FlowGroup[];
  reroutes: NativeReroute[];
  catalog: Catalog;
  history: History;
  /** Edited since the last save/open. */
  dirty: boolean;
  clipboard: GraphDoc | null;
  snapToGrid: boolean;

  setCatalog(catalog: Catalog): void;
  /** React Flow's node changes, for nodes and groups alike (a group moved carries the nodes inside it). */
  onNodesChange(changes: NodeChange<CanvasNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  /** Call when a drag starts: the positions before it become one undo step; dragged groups take the nodes inside them along. */
  beginDrag(dragged?: ReadonlyArray<{ id: string }>): void;
  /** Why this connection is refused, or null when it is fine (the drag-time check). */
  connectionProblem(connection: Connection | FlowEdge): string | null;
  /** Adds the link (replacing any link into the same input); returns the refusal reason or null. */
  connect(connection: Connection): string | null;
  /** Moves an existing link's end (dragged from one input to another); refusal reason or null. */
  reconnect(edgeId: string, connection: Connection): string | null;
  deleteEdges(ids: string[]): void;
  addNode(nodeType: string, position: { x: number; y: number }): string;
  setWidget(nodeId: string, input: string, value: unknown): void;
  setWidgets(changes: Array<{ nodeId: string; input: string; value: unknown }>, coalesceKey?: string): void;
  setControl(nodeId: string, input: string, control: SeedControl): void;
  setTitle(nodeId: string, title: string): void;
  /** Ctrl+M / Ctrl+B: the selected nodes take `mode`, or back to running when all of them have it already. */
  toggleMode(mode: typeof MODE_MUTED | typeof MODE_BYPASSED): void;
  /** A group around the selected nodes (or at `at` when none is selected); returns its id. */
  addGroup(title: string, at?: { x: number; y: number }): string;
  renameGroup(id: string, title: string): void;
  /** Moves a native reroute dot (call beginDrag() first: the drag is one undo step). */
  moveReroute(id: number, pos: { x: number; y: number }, done: boolean): void;
  deleteGroups(ids: string[]): void;
  deleteSelection(): void;
  deleteNodes(ids: string[]): void;
  selectAll(): void;
  selectOnly(ids: string[]): void;
  copySelection(): GraphDoc | null;
  paste(at?: { x: number; y: number }, fragment?: GraphDoc): void;
  undo(): void;
  redo(): void;
  /** Replaces the canvas (open, import, new); clears history. */
  load(doc: GraphDoc, meta: DocumentMeta): void;
  markSaved(meta: DocumentMeta): void;
  setSnapToGrid(on: boolean): void;
  /** Replaces the document in one undo step (e.g. "save as node" collapsing a selection). */
  replaceDocument(doc: GraphDoc): void;
}

export type GraphStore = StoreApi<GraphState>;

/** ComfyUI's type names for widget inputs (what a link into a widget would have to carry). */
const WIDGET_SOCKET_TYPE = { int: 'INT', float: 'FLOAT', text: 'STRING', boolean: 'BOOLEAN', choice: 'COMBO' } as const;

function doc(state: GraphState): GraphDoc {
  return { nodes: state.nodes, edges: state.edges, groups: state.groups, reroutes: state.reroutes };
}

function updateNode(nodes: FlowNode[], id: string, update: (data: NodeData) => NodeData): FlowNode[] {
  return nodes.map((node) => (node.id === id ? { ...node, data: update(node.data) } : node));
}

/** A store of its own (tests make fresh ones; the app uses `graphStore`). */
export function createGraphStore(catalog: Catalog = new Map()): GraphStore {
  return createStore<GraphState>()((set, get) => {
    /** Applies a document edit as one undo step (`key`: coalesce repeated edits of the same thing). */
    const edit = (next: Partial<GraphDoc>, key: string | null = null) => {
      const state = get();
      set({ ...next, history: record(state.history, doc(state), key), dirty: true });
    };

    const socketsOf = (connection: Connection | FlowEdge) => {
      const { nodes, catalog } = get();
      const source = nodes.find((n) => n.id === connection.source);
      const target = nodes.find((n) => n.id === connection.target);
      if (!source || !target) return null;
      const output = Number(connection.sourceHandle ?? 0);
      const sourceSpec = catalog.get(source.data.nodeType);
      const targetSpec = catalog.get(target.data.nodeType);
      const sourceType = source.data.nodeType === REROUTE_TYPE ? rerouteType(source.id) : sourceSpec?.outputs[output]?.type;
      const input = targetSpec?.inputs.find((i) => i.name === connection.targetHandle);
      const targetType =
        target.data.nodeType === REROUTE_TYPE && connection.targetHandle === REROUTE_INPUT ? '*' : input ? (input.kind === 'socket' ? input.type : WIDGET_SOCKET_TYPE[input.kind]) : undefined;
      return { source, target, output, sourceType, targetType };
    };

    /** What a Reroute node carries: the type of what feeds it, through other reroutes ("*" when nothing does). */
    const rerouteType = (id: string): string => {
      const { nodes, edges, catalog } = get();
      const seen = new Set<string>();
      for (let at = id; !seen.has(at); ) {
        seen.add(at);
        const edge = edges.find((e) => e.target === at && e.targetHandle === REROUTE_INPUT);
        const from = edge && nodes.find((n) => n.id === edge.source);
        if (!edge || !from) return '*';
        if (from.data.nodeType !== REROUTE_TYPE) return catalog.get(from.data.nodeType)?.outputs[Number(edge.sourceHandle ?? 0)]?.type ?? '*';
        at = from.id;
      }
      return '*';
    };

    /** The nodes and reroutes inside each group being dragged (computed when the drag starts, as ComfyUI does). */
    let dragMembers = new Map<string, { nodes: Set<string>; reroutes: Set<number> }>();

    return {
      nodes: [],
      edges: [],
      groups: [],
      reroutes: [],
      name: null,
      revision: null,
      catalog,
      history: emptyHistory(),
      dirty: false,
      clipboard: null,
      snapToGrid: true,

      setCatalog(catalog) {
        // Edge colours depend on the catalog: refresh those still typed '*'.
        const { nodes, edges } = get();
        const typeOf = new Map(nodes.map((n) => [n.id, n.data.nodeType]));
        const refreshed = edges.map((e) => {
          if (e.data?.socketType && e.data.socketType !== '*') return e;
          const t = edgeSocketType(catalog, typeOf.get(e.source), Number(e.sourceHandle ?? 0), typeOf.get(e.target), e.targetHandle ?? '');
          return makeEdge(e.source, Number(e.sourceHandle ?? 0), e.target, e.targetHandle ?? '', t);
        });
        set({ catalog, edges: refreshed });
      },

      onNodesChange(changes) {
        const relevant = changes.filter((c) => c.type !== 'remove'); // deletion goes through deleteSelection
        if (relevant.length === 0) return;
        const moved = relevant.some((c) => (c.type === 'position' && c.dragging === false) || (c.type === 'dimensions' && c.resizing === false));
        const forGroups = relevant.filter((c) => 'id' in c && isGroupId(c.id)) as NodeChange<FlowGroup>[];
        let forNodes = relevant.filter((c) => !('id' in c) || !isGroupId(c.id)) as NodeChange<FlowNode>[];
        const state = get();
        let reroutes = state.reroutes;
        // A dragged group carries its members by the same step (those dragged themselves already move).
        const draggedIds = new Set(forNodes.filter((c) => c.type === 'position').map((c) => (c as { id: string }).id));
        for (const change of forGroups) {
          if (change.type !== 'position' || !change.position) continue;
          const members = dragMembers.get(change.id);
          const group = members && state.groups.find((g) => g.id === change.id);
          if (!members || !group) continue;
          const dx = change.position.x - group.position.x;
          const dy = change.position.y - group.position.y;
          if (dx === 0 && dy === 0) continue;
          for (const node of state.nodes) {
            if (!members.nodes.has(node.id) || draggedIds.has(node.id)) continue;
            forNodes = [...forNodes, { type: 'position', id: node.id, position: { x: node.position.x + dx, y: node.position.y + dy }, dragging: change.dragging ?? false }];
          }
          if (members.reroutes.size > 0) reroutes = reroutes.map((r) => (members.reroutes.has(r.id) ? { ...r, pos: { x: r.pos.x + dx, y: r.pos.y + dy } } : r));
        }
        set({
          ...(forNodes.length > 0 ? { nodes: applyNodeChanges(forNodes, state.nodes) } : {}),
          ...(forGroups.length > 0 ? { groups: applyNodeChanges(forGroups, state.groups) } : {}),
          ...(reroutes !== state.reroutes ? { reroutes } : {}),
          ...(moved ? { dirty: true } : {}),
        });
      },

      onEdgesChange(changes) {
        const relevant = changes.filter((c) => c.type !== 'remove');
        if (relevant.length === 0) return;
        set((state) => ({ edges: applyEdgeChanges(relevant, state.edges) }));
      },

      beginDrag(dragged = []) {
        const state = get();
        dragMembers = new Map();
        for (const { id } of dragged) {
          const group = isGroupId(id) ? state.groups.find((g) => g.id === id) : undefined;
          if (group) dragMembers.set(id, groupMembers(groupBounds(group), state.nodes, state.reroutes));
        }
        set({ history: record(state.history, doc(state)) });
      },

      connectionProblem(connection) {
        const sockets = socketsOf(connection);
        if (!sockets) return 'That node no longer exists.';
        const { source, target, sourceType, targetType } = sockets;
        if (!sourceType || !targetType) return `Input "${connection.targetHandle}" cannot take a link.`;
        const problem = connectionProblem({ nodeId: source.id, type: sourceType }, { nodeId: target.id, type: targetType });
        if (problem) return problem;
        const others = get().edges.filter((e) => !(e.target === target.id && e.targetHandle === connection.targetHandle));
        if (wouldCreateCycle(others, source.id, target.id)) return 'That link would make a loop.';
        return null;
      },

      connect(connection) {
        const problem = get().connectionProblem(connection);
        if (problem) return problem;
        const sockets = socketsOf(connection)!;
        const input = connection.targetHandle!;
        const edge = makeEdge(sockets.source.id, sockets.output, sockets.target.id, input, sockets.sourceType!);
        const edges = [...get().edges.filter((e) => e.id !== edge.id), edge];
        edit({ edges });
        return null;
      },

      reconnect(edgeId, connection) {
        const state = get();
        const old = state.edges.find((e) => e.id === edgeId);
        if (!old) return state.connect(connection);
        const without = state.edges.filter((e) => e.id !== edgeId);
        set({ edges: without });
        const problem = get().connectionProblem(connection);
        set({ edges: state.edges });
        if (problem) return problem;
        const sockets = socketsOf(connection)!;
        const edge = makeEdge(sockets.source.id, sockets.output, sockets.target.id, connection.targetHandle!, sockets.sourceType!);
        edit({ edges: [...without.filter((e) => e.id !== edge.id), edge] });
        return null;
      },

      deleteEdges(list) {
        const ids = new Set(list);
        const edges = get().edges.filter((e) => !ids.has(e.id));
        if (edges.length !== get().edges.length) edit({ edges });
      },

      addNode(nodeType, position) {
        const { nodes, catalog } = get();
        const spec = catalog.get(nodeType);
        const id = nextNodeId(nodes);
        const widgets = spec ? defaultWidgets(spec) : NOTE_TYPES.has(nodeType) ? { text: '' } : {};
        const data: NodeData = { nodeType, widgets, ...(spec?.version !== undefined ? { version: spec.version } : {}) };
        const node = { ...makeNode(id, data, position), selected: true };
        edit({ nodes: [...nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] });
        return id;
      },

      setWidget(nodeId, input, value) {
        get().setWidgets([{ nodeId, input, value }], `widget:${nodeId}:${input}`);
      },

      setWidgets(changes, coalesceKey) {
        let nodes = get().nodes;
        for (const { nodeId, input, value } of changes) {
          nodes = updateNode(nodes, nodeId, (data) => ({ ...data, widgets: { ...data.widgets, [input]: value } }));
        }
        edit({ nodes }, coalesceKey ?? null);
      },

      setControl(nodeId, input, control) {
        edit({ nodes: updateNode(get().nodes, nodeId, (data) => ({ ...data, controls: { ...data.controls, [input]: control } })) });
      },

      setTitle(nodeId, title) {
        edit(
          {
            nodes: updateNode(get().nodes, nodeId, (data) => {
              const { title: _old, ...rest } = data;
              return title.trim() === '' ? rest : { ...rest, title };
            }),
          },
          `title:${nodeId}`,
        );
      },

      toggleMode(mode) {
        const selected = get().nodes.filter((n) => n.selected);
        if (selected.length === 0) return;
        const next = selected.every((n) => n.data.mode === mode) ? undefined : mode;
        const ids = new Set(selected.map((n) => n.id));
        edit({
          nodes: get().nodes.map((node) => {
            if (!ids.has(node.id)) return node;
            const { mode: _old, ...rest } = node.data;
            return { ...node, data: next === undefined ? rest : { ...rest, mode: next } };
          }),
        });
      },

      addGroup(title, at) {
        const { nodes, groups } = get();
        const selected = nodes.filter((n) => n.selected);
        const bounding = selected.length > 0 ? groupAround(selected) : ([at?.x ?? 0, at?.y ?? 0, 400, 300] as [number, number, number, number]);
        const id = nextGroupId(groups);
        edit({ groups: [...groups, makeGroup(id, { title, bounding })] });
        return id;
      },

      moveReroute(id, pos, done) {
        set((state) => ({ reroutes: state.reroutes.map((r) => (r.id === id ? { ...r, pos } : r)), ...(done ? { dirty: true } : {}) }));
      },

      renameGroup(id, title) {
        edit({ groups: get().groups.map((g) => (g.id === id ? { ...g, data: { ...g.data, title } } : g)) });
      },

      deleteGroups(list) {
        const ids = new Set(list);
        const groups = get().groups.filter((g) => !ids.has(g.id));
        if (groups.length !== get().groups.length) edit({ groups });
      },

      deleteSelection() {
        const { nodes, edges, groups } = get();
        const ids = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
        const keptEdges = edges.filter((e) => !e.selected && !ids.has(e.source) && !ids.has(e.target));
        const keptGroups = groups.filter((g) => !g.selected);
        if (ids.size === 0 && keptEdges.length === edges.length && keptGroups.length === groups.length) return;
        edit({ nodes: nodes.filter((n) => !ids.has(n.id)), edges: keptEdges, groups: keptGroups });
      },

      deleteNodes(list) {
        const ids = new Set(list);
        const { nodes, edges } = get();
        edit({ nodes: nodes.filter((n) => !ids.has(n.id)), edges: edges.filter((e) => !ids.has(e.source) && !ids.has(e.target)) });
      },

      selectAll() {
        set((state) => ({ nodes: state.nodes.map((n) => (n.selected ? n : { ...n, selected: true })) }));
      },

      selectOnly(list) {
        const ids = new Set(list);
        set((state) => ({
          nodes: state.nodes.map((n) => (Boolean(n.selected) === ids.has(n.id) ? n : { ...n, selected: ids.has(n.id) })),
          edges: state.edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
          groups: state.groups.map((g) => (Boolean(g.selected) === ids.has(g.id) ? g : { ...g, selected: ids.has(g.id) })),
        }));
      },

      copySelection() {
        const { nodes, edges } = get();
        const selected = nodes.filter((n) => n.selected);
        if (selected.length === 0) return null;
        const ids = new Set(selected.map((n) => n.id));
        const fragment = snapshot({ nodes: selected, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) });
        set({ clipboard: fragment });
        return fragment;
      },

      paste(at, fragment) {
        const source = fragment ?? get().clipboard;
        if (!source || source.nodes.length === 0) return;
        const { nodes, edges } = get();
        const copy = cloneFragment(source, nodes, at);
        edit({
          nodes: [...nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...copy.nodes],
          edges: [...edges, ...copy.edges],
        });
      },

      undo() {
        const state = get();
        const result = undo(state.history, doc(state));
        if (result) set({ ...result.doc, groups: result.doc.groups ?? [], reroutes: result.doc.reroutes ?? [], history: result.history, dirty: true });
      },

      redo() {
        const state = get();
        const result = redo(state.history, doc(state));
        if (result) set({ ...result.doc, groups: result.doc.groups ?? [], reroutes: result.doc.reroutes ?? [], history: result.history, dirty: true });
      },

      load(next, meta) {
        set({
          nodes: next.nodes,
          edges: next.edges,
          groups: next.groups ?? [],
          reroutes: next.reroutes ?? [],
          name: meta.name,
          revision: meta.revision,
          history: emptyHistory(),
          dirty: false,
        });
      },

      markSaved(meta) {
        set({ name: meta.name, revision: meta.revision, dirty: false });
      },

      setSnapToGrid(on) {
        set({ snapToGrid: on });
      },

      replaceDocument(next) {
        edit({ nodes: next.nodes, edges: next.edges, ...(next.groups ? { groups: next.groups } : {}), ...(next.reroutes ? { reroutes: next.reroutes } : {}) });
      },
    };
  });
}

/** The app's canvas store. */
export const graphStore = createGraphStore();

/** Reads the app's canvas store with a selector (re-renders only when the selected value changes). */
export function useGraph<T>(selector: (state: GraphState) => T): T {
  return useStore(graphStore, selector);
}
