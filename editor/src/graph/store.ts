/**
 * The canvas store: nodes, edges and every mutation of them, with undo/redo. Components call these
 * actions (never callbacks passed through node data) and read with selectors, so a widget edit
 * re-renders one node, not the canvas.
 */
import { applyEdgeChanges, applyNodeChanges, type Connection, type EdgeChange, type NodeChange } from '@xyflow/react';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { useStore } from 'zustand';

import { defaultWidgets } from './catalog.ts';
import { type Catalog } from '../../../protocol/index.ts';
import { connectionProblem, wouldCreateCycle } from './connection.ts';
import { cloneFragment, edgeSocketType, makeEdge, makeNode, nextNodeId } from './convert.ts';
import { emptyHistory, record, redo, snapshot, undo, type History } from './history.ts';
import type { FlowEdge, FlowNode, GraphDoc, NodeData, SeedControl } from './types.ts';

export interface DocumentMeta {
  /** The stored workflow this canvas was opened from / saved as (null: never saved). */
  name: string | null;
  revision: number | null;
}

export interface GraphState extends GraphDoc, DocumentMeta {
  catalog: Catalog;
  history: History;
  /** Edited since the last save/open. */
  dirty: boolean;
  clipboard: GraphDoc | null;
  snapToGrid: boolean;

  setCatalog(catalog: Catalog): void;
  onNodesChange(changes: NodeChange<FlowNode>[]): void;
  onEdgesChange(changes: EdgeChange<FlowEdge>[]): void;
  /** Call when a drag starts: the positions before it become one undo step. */
  beginDrag(): void;
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

function doc(state: GraphDoc): GraphDoc {
  return { nodes: state.nodes, edges: state.edges };
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
      const sourceType = sourceSpec?.outputs[output]?.type;
      const input = targetSpec?.inputs.find((i) => i.name === connection.targetHandle);
      const targetType = input ? (input.kind === 'socket' ? input.type : WIDGET_SOCKET_TYPE[input.kind]) : undefined;
      return { source, target, output, sourceType, targetType };
    };

    return {
      nodes: [],
      edges: [],
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
        const moved = relevant.some((c) => c.type === 'position' && c.dragging === false);
        set((state) => ({ nodes: applyNodeChanges(relevant, state.nodes), ...(moved ? { dirty: true } : {}) }));
      },

      onEdgesChange(changes) {
        const relevant = changes.filter((c) => c.type !== 'remove');
        if (relevant.length === 0) return;
        set((state) => ({ edges: applyEdgeChanges(relevant, state.edges) }));
      },

      beginDrag() {
        const state = get();
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
        const data: NodeData = { nodeType, widgets: spec ? defaultWidgets(spec) : {}, ...(spec?.version !== undefined ? { version: spec.version } : {}) };
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

      deleteSelection() {
        const { nodes, edges } = get();
        const ids = new Set(nodes.filter((n) => n.selected).map((n) => n.id));
        const keptEdges = edges.filter((e) => !e.selected && !ids.has(e.source) && !ids.has(e.target));
        if (ids.size === 0 && keptEdges.length === edges.length) return;
        edit({ nodes: nodes.filter((n) => !ids.has(n.id)), edges: keptEdges });
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
        if (result) set({ ...result.doc, history: result.history, dirty: true });
      },

      redo() {
        const state = get();
        const result = redo(state.history, doc(state));
        if (result) set({ ...result.doc, history: result.history, dirty: true });
      },

      load(next, meta) {
        set({ nodes: next.nodes, edges: next.edges, name: meta.name, revision: meta.revision, history: emptyHistory(), dirty: false });
      },

      markSaved(meta) {
        set({ name: meta.name, revision: meta.revision, dirty: false });
      },

      setSnapToGrid(on) {
        set({ snapToGrid: on });
      },

      replaceDocument(next) {
        edit({ nodes: next.nodes, edges: next.edges });
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
