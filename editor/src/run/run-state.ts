/**
 * What the canvas shows about runs, as a pure reducer over run events: which node runs and its step,
 * previews, output images, wall time and peak memory per node, cached nodes, and the issues of a failed
 * run located on their nodes and inputs.
 */
import type { ImageRef, Issue, RunEvent } from '../../../protocol/index.ts';

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
  /** Runs this tab queued that have not started, with the nodes each will execute. */
  waiting: Record<string, { number?: number; expected: string[]; queuedAt: number }>;
  nodes: Record<string, NodeRun>;
  /** Issues of the last refused or failed run, each on its node (and input) when known. */
  issues: Issue[];
}

export function emptyRunState(): RunState {
  return { active: null, waiting: {}, nodes: {}, issues: [] };
}

function patchNode(state: RunState, id: string, patch: Partial<NodeRun>): Record<string, NodeRun> {
  return { ...state.nodes, [id]: { ...state.nodes[id], ...patch } };
}

function isOver(run: ActiveRun | null): boolean {
  return !run || run.phase === 'success' || run.phase === 'error' || run.phase === 'interrupted';
}

/**
 * A run was accepted (POST /api/runs answered 202) and will execute `expectedNodes`. Clears old
 * issues; when nothing of ours is running it becomes the active run at once (marked queued).
 */
export function runQueued(state: RunState, runId: string, number: number | undefined, expectedNodes: string[], now = Date.now()): RunState {
  const waiting = { ...state.waiting, [runId]: { ...(number !== undefined ? { number } : {}), expected: expectedNodes, queuedAt: now } };
  const next = { ...state, waiting, issues: [] };
  return isOver(state.active) ? begin(next, runId, 'queued', now) : next;
}

/** Makes a waiting run the active one: statuses of the last run cleared (images and stats kept). */
function begin(state: RunState, runId: string, phase: RunPhase, now: number): RunState {
  const entry = state.waiting[runId];
  const nodes: Record<string, NodeRun> = {};
  for (const [id, run] of Object.entries(state.nodes)) {
    const { status: _s, progress: _p, ...kept } = run;
    nodes[id] = kept;
  }
  for (const id of entry?.expected ?? []) nodes[id] = { ...nodes[id], status: 'pending' };
  const { [runId]: _taken, ...waiting } = state.waiting;
  return {
    ...state,
    waiting,
    nodes,
    active: { runId, ...(entry?.number !== undefined ? { number: entry.number } : {}), phase, total: entry?.expected.length ?? 0, finished: 0, node: null, startedAt: now },
  };
}

/** The server refused the workflow (400 invalid_workflow): show every issue. */
export function runRejected(state: RunState, issues: Issue[]): RunState {
  return { ...state, issues };
}

/**
 * The state after one event. Only runs this tab queued are followed; a run's first event makes it
 * the active one (its `execution_start` may have been sent before our subscription reached the server).
 * `previewUrl`: the object URL made for a `preview` event's image (made by the caller: side effect).
 */
export function reduceRunEvent(state: RunState, event: RunEvent, previewUrl?: string): RunState {
  if (event.type === 'queued') return state;
  let current = state;
  if (state.active?.runId !== event.runId) {
    if (!(event.runId in state.waiting)) return state;
    current = begin(state, event.runId, 'running', Date.now());
  } else if (state.active.phase === 'queued') {
    current = { ...state, active: { ...state.active, phase: 'running' } };
  }
  const active = current.active!;
  switch (event.type) {
    case 'execution_start':
      return { ...current, active: { ...active, startedAt: event.timestamp } };
    case 'execution_cached': {
      let nodes = current.nodes;
      let added = 0;
      for (const id of event.nodes) {
        if (nodes[id]?.status === 'cached') continue;
        nodes = { ...nodes, [id]: { ...nodes[id], status: 'cached' } };
        added++;
      }
      return { ...current, nodes, active: { ...active, finished: active.finished + added, total: Math.max(active.total, active.finished + added) } };
    }
    case 'executing':
      return { ...current, nodes: patchNode(current, event.node, { status: 'running', progress: undefined }), active: { ...active, node: event.node } };
    case 'progress':
      return { ...current, nodes: patchNode(current, event.node, { status: 'running', progress: { value: event.value, max: event.max } }) };
    case 'preview':
      return previewUrl ? { ...current, nodes: patchNode(current, event.node, { preview: previewUrl }) } : current;
    case 'executed': {
      const images = imagesOf(event.output);
      const patch: Partial<NodeRun> = images ? { images } : {};
      if (event.cached) patch.status = 'cached';
      return { ...current, nodes: patchNode(current, event.node, patch) };
    }
    case 'stats': {
      const wasCounted = current.nodes[event.node]?.status === 'done';
      return {
        ...current,
        nodes: patchNode(current, event.node, { status: 'done', progress: undefined, stats: { ms: event.ms, peakBytes: event.peakBytes, extra: event.extra ?? {} } }),
        active: { ...active, finished: wasCounted ? active.finished : active.finished + 1, node: active.node === event.node ? null : active.node },
      };
    }
    case 'execution_error': {
      const issues = event.issues.map((issue) => (issue.nodeId === undefined && event.node ? { ...issue, nodeId: event.node, nodeType: event.nodeType ?? undefined } : issue));
      const nodes = event.node ? patchNode(current, event.node, { status: 'error', progress: undefined }) : current.nodes;
      return { ...current, nodes: clearPending(nodes), issues, active: { ...active, phase: 'error', node: null, finishedAt: Date.now(), message: event.message } };
    }
    case 'execution_interrupted': {
      const nodes = event.node ? patchNode(current, event.node, { status: 'interrupted', progress: undefined }) : current.nodes;
      return { ...current, nodes: clearPending(nodes), active: { ...active, phase: 'interrupted', node: null, finishedAt: Date.now(), message: 'Interrupted.' } };
    }
    case 'execution_success':
      return { ...current, nodes: clearPending(current.nodes), active: { ...active, phase: 'success', node: null, finished: active.total, finishedAt: event.timestamp } };
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
export function issuesOf(issues: Issue[], nodeId: string): Issue[] {
  return issues.filter((i) => i.nodeId === nodeId);
}
