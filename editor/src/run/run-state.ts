/**
 * What the canvas shows about runs, as a pure reducer over run events: which node runs and its step,
 * previews, output images, wall time and peak memory per node, cached nodes, and the issues of a failed
 * run located on their nodes and inputs.
 */
import type { GraphIssue, ImageRef, RunEvent } from '../api/types.ts';

export type NodeRunStatus = 'pending' | 'running' | 'done' | 'cached' | 'error' | 'interrupted';

export interface NodeRun {
  status?: NodeRunStatus;
  progress?: { value: number; max: number };
  /** Object URL of the latest step preview. */
  preview?: string;
  images?: ImageRef[];
  stats?: { ms: number; peakBytes: number | null; extra: Record<string, number> };
}

export type RunPhase = 'queued' | 'running' | 'success' | 'error' | 'interrupted';

export interface ActiveRun {
  runId: string;
  number?: number;
  phase: RunPhase;
  /** Nodes expected to execute (computed when queued; cached ones are subtracted). */
  total: number;
  /** Nodes finished (ran or cached). */
  finished: number;
  /** The node running now. */
  node: string | null;
  startedAt?: number;
  finishedAt?: number;
  message?: string;
}

export interface RunState {
  active: ActiveRun | null;
  nodes: Record<string, NodeRun>;
  /** Issues of the last failed queueing or run, each on its node (and input) when known. */
  issues: GraphIssue[];
}

export function emptyRunState(): RunState {
  return { active: null, nodes: {}, issues: [] };
}

function patchNode(state: RunState, id: string, patch: Partial<NodeRun>): Record<string, NodeRun> {
  return { ...state.nodes, [id]: { ...state.nodes[id], ...patch } };
}

/** A run was accepted (POST /api/runs answered 202): expected nodes `total`. Clears old issues and statuses. */
export function runQueued(state: RunState, runId: string, number: number | undefined, expectedNodes: string[], now = Date.now()): RunState {
  const nodes: Record<string, NodeRun> = {};
  for (const [id, run] of Object.entries(state.nodes)) {
    const { status: _s, progress: _p, ...kept } = run;
    nodes[id] = kept;
  }
  for (const id of expectedNodes) nodes[id] = { ...nodes[id], status: 'pending' };
  return {
    active: { runId, ...(number !== undefined ? { number } : {}), phase: 'queued', total: expectedNodes.length, finished: 0, node: null, startedAt: now },
    nodes,
    issues: [],
  };
}

/** The server refused the workflow (400 invalid_workflow): show every issue. */
export function runRejected(state: RunState, issues: GraphIssue[]): RunState {
  return { ...state, issues };
}

/**
 * The state after one event. Events of a run other than the active one are ignored (another tab's
 * run, or a stale one), except that a run starting becomes the active one.
 * `previewUrl`: the object URL made for a `preview` event's image (made by the caller: side effect).
 */
export function reduceRunEvent(state: RunState, event: RunEvent, previewUrl?: string): RunState {
  const active = state.active;
  if (event.type === 'execution_start') {
    const base = active?.runId === event.runId ? active : { runId: event.runId, total: 0, finished: 0, node: null };
    return { ...state, active: { ...base, phase: 'running', startedAt: event.timestamp } };
  }
  if (!active || active.runId !== event.runId) return state;
  switch (event.type) {
    case 'queued':
      return state;
    case 'execution_cached': {
      let nodes = state.nodes;
      for (const id of event.nodes) nodes = { ...nodes, [id]: { ...nodes[id], status: 'cached' } };
      return { ...state, nodes, active: { ...active, finished: active.finished + event.nodes.length, total: Math.max(active.total, event.nodes.length) } };
    }
    case 'executing':
      return { ...state, nodes: patchNode(state, event.node, { status: 'running', progress: undefined }), active: { ...active, phase: 'running', node: event.node } };
    case 'progress':
      return { ...state, nodes: patchNode(state, event.node, { status: 'running', progress: { value: event.value, max: event.max } }) };
    case 'preview':
      return previewUrl ? { ...state, nodes: patchNode(state, event.node, { preview: previewUrl }) } : state;
    case 'executed': {
      const images = imagesOf(event.output);
      const patch: Partial<NodeRun> = images ? { images } : {};
      if (event.cached) patch.status = 'cached';
      return { ...state, nodes: patchNode(state, event.node, patch) };
    }
    case 'stats': {
      const wasCounted = state.nodes[event.node]?.status === 'done';
      return {
        ...state,
        nodes: patchNode(state, event.node, { status: 'done', progress: undefined, stats: { ms: event.ms, peakBytes: event.peakBytes, extra: event.extra ?? {} } }),
        active: { ...active, finished: wasCounted ? active.finished : active.finished + 1, node: active.node === event.node ? null : active.node },
      };
    }
    case 'execution_error': {
      const issues = event.issues.map((issue) => (issue.nodeId === undefined && event.node ? { ...issue, nodeId: event.node, nodeType: event.nodeType ?? undefined } : issue));
      const nodes = event.node ? patchNode(state, event.node, { status: 'error', progress: undefined }) : state.nodes;
      return { nodes: clearPending(nodes), issues, active: { ...active, phase: 'error', node: null, finishedAt: Date.now(), message: event.message } };
    }
    case 'execution_interrupted': {
      const nodes = event.node ? patchNode(state, event.node, { status: 'interrupted', progress: undefined }) : state.nodes;
      return { ...state, nodes: clearPending(nodes), active: { ...active, phase: 'interrupted', node: null, finishedAt: Date.now(), message: 'Interrupted.' } };
    }
    case 'execution_success':
      return { ...state, nodes: clearPending(state.nodes), active: { ...active, phase: 'success', node: null, finished: active.total, finishedAt: event.timestamp } };
  }
}

function clearPending(nodes: Record<string, NodeRun>): Record<string, NodeRun> {
  const out: Record<string, NodeRun> = {};
  for (const [id, run] of Object.entries(nodes)) {
    if (run.status === 'pending' || run.status === 'running') {
      const { status: _s, progress: _p, ...rest } = run;
      out[id] = rest;
    } else out[id] = run;
  }
  return out;
}

/** The images in an output node's `ui` payload (`{ images: [{ filename, subfolder, type }] }`). */
export function imagesOf(output: Record<string, unknown> | null | undefined): ImageRef[] | undefined {
  const images = output?.images;
  if (!Array.isArray(images)) return undefined;
  return images.filter((i): i is ImageRef => typeof i === 'object' && i !== null && typeof (i as ImageRef).filename === 'string');
}

/** Overall progress of the active run in [0, 1]: finished nodes plus the running node's step fraction. */
export function overallProgress(state: RunState): number {
  const active = state.active;
  if (!active) return 0;
  if (active.phase === 'success') return 1;
  if (active.total <= 0) return 0;
  const running = active.node ? state.nodes[active.node]?.progress : undefined;
  const partial = running && running.max > 0 ? running.value / running.max : 0;
  return Math.min(1, (active.finished + partial) / active.total);
}

/** The issues on one node, and those for one of its inputs. */
export function issuesOf(issues: GraphIssue[], nodeId: string): GraphIssue[] {
  return issues.filter((i) => i.nodeId === nodeId);
}
