/**
 * Undo/redo over document snapshots. Node and edge objects are immutable, so a snapshot is two arrays
 * of shared references: cheap even for a few hundred nodes. Edits with the same `key` in quick succession
 * (typing in one prompt) collapse into one step.
 */
import type { FlowEdge, FlowGroup, FlowNode, GraphDoc } from './types.ts';

export interface History {
  past: GraphDoc[];
  future: GraphDoc[];
  /** Key and time of the last recorded edit (for coalescing). */
  lastKey: string | null;
  lastAt: number;
}

export const HISTORY_LIMIT = 100;
/** Edits with the same key closer than this are one undo step. */
export const COALESCE_MS = 1000;

export function emptyHistory(): History {
  return { past: [], future: [], lastKey: null, lastAt: 0 };
}

/** A snapshot of the document without view-only state (selection, dragging, measured size). */
export function snapshot(doc: GraphDoc): GraphDoc {
  return {
    nodes: doc.nodes.map(stripNode),
    edges: doc.edges.map(stripEdge),
    ...(doc.groups ? { groups: doc.groups.map(stripNode) } : {}),
    ...(doc.reroutes ? { reroutes: doc.reroutes } : {}),
  };
}

function stripNode<N extends FlowNode | FlowGroup>(node: N): N {
  if (!node.selected && !node.dragging && !node.measured) return node;
  const { selected: _s, dragging: _d, measured: _m, ...rest } = node;
  return rest as N;
}

function stripEdge(edge: FlowEdge): FlowEdge {
  if (!edge.selected) return edge;
  const { selected: _s, ...rest } = edge;
  return rest;
}

/**
 * Records `before` (the document as it was before an edit) as an undo step; clears redo.
 * With a `key` equal to the previous one within COALESCE_MS the step is merged (nothing recorded).
 */
export function record(history: History, before: GraphDoc, key: string | null = null, now = Date.now()): History {
  if (key !== null && key === history.lastKey && now - history.lastAt < COALESCE_MS) {
    return { ...history, future: [], lastAt: now };
  }
  const past = [...history.past, snapshot(before)];
  if (past.length > HISTORY_LIMIT) past.splice(0, past.length - HISTORY_LIMIT);
  return { past, future: [], lastKey: key, lastAt: now };
}

/** Undo: the document to show and the new history, or null when there is nothing to undo. */
export function undo(history: History, current: GraphDoc): { doc: GraphDoc; history: History } | null {
  const doc = history.past.at(-1);
  if (!doc) return null;
  return {
    doc,
    history: { past: history.past.slice(0, -1), future: [snapshot(current), ...history.future], lastKey: null, lastAt: 0 },
  };
}

/** Redo: the document to show and the new history, or null when there is nothing to redo. */
export function redo(history: History, current: GraphDoc): { doc: GraphDoc; history: History } | null {
  const doc = history.future[0];
  if (!doc) return null;
  return {
    doc,
    history: { past: [...history.past, snapshot(current)], future: history.future.slice(1), lastKey: null, lastAt: 0 },
  };
}
