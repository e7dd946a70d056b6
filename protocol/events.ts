/**
 * The wire protocol: every event a run emits and the issue shape every error reaching a person has.
 * The runner emits these; server/api fans them out to socket.io and to ComfyUI's `/ws` (whose message
 * names they keep: `execution_start`, `executing`, `progress`, ...). This module imports nothing, so
 * the editor can `import type` from it.
 *
 * @example
 *   function onEvent(event: RunEvent) {
 *     if (event.type === 'progress') bar(event.node).set(event.value / event.max);
 *     if (event.type === 'execution_error') for (const issue of event.issues) mark(issue.nodeId, issue.input);
 *   }
 */

// ---------------------------------------------------------------------------------------------------
// Issues

/**
 * What went wrong; code branches on this, never on message text.
 * - `workflow_invalid`: the JSON is not a workflow in either form (details: path, reason)
 * - `node_type_unknown`: no registered node type has this name
 * - `input_missing`: a required input is neither connected nor set, and has no default
 * - `input_unknown`: the node type has no input of this name
 * - `link_invalid`: a link points at a missing node or output index, or is malformed
 * - `type_mismatch`: a link joins different socket types, or a link feeds a widget
 * - `value_invalid`: a widget value has the wrong type, is not finite, not an integer, or not one of
 *   the options (details.reason: `wrong_type | not_finite | not_integer | not_in_options | expected_link`)
 * - `value_out_of_range`: a number outside the widget's [min, max] (details: min, max, received), or values
 *   the node refuses together before anything runs (details.reason, e.g. `over_memory_budget`: bytes, budgetBytes)
 * - `cycle`: links form a loop (details.nodes: the node ids in it)
 * - `output_node_missing`: nothing in the workflow is an output node, so nothing would run
 * - `node_failed` / `native_failed`: a node threw while running (native: the engine's status is in details.status)
 * - `node_definition_invalid` / `node_type_duplicate`: a node pack could not add a node type (details.pack)
 * - `pack_invalid`: a whole node pack was not loaded: bad manifest, its entry point threw, unreadable
 *   subgraph file (details: pack, dir, reason)
 */
export type GraphIssueCode =
  | 'workflow_invalid'
  | 'node_type_unknown'
  | 'input_missing'
  | 'input_unknown'
  | 'link_invalid'
  | 'type_mismatch'
  | 'value_invalid'
  | 'value_out_of_range'
  | 'cycle'
  | 'output_node_missing'
  | 'node_failed'
  | 'native_failed'
  | 'node_definition_invalid'
  | 'node_type_duplicate'
  | 'pack_invalid';

/** One problem, located: which node, which input, what was expected and received. */
export interface GraphIssue {
  code: GraphIssueCode;
  /** One sentence a user can act on, e.g. `KSampler #7: input "model" is not connected.` */
  message: string;
  nodeId?: string;
  nodeType?: string;
  input?: string;
  /** Expected/received values, the file or tensor, the pack; plain JSON. */
  details?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------------
// Run events

/** JSON an output node gives the client (ComfyUI's `ui`), e.g. `{ images: [{ filename, subfolder, type }] }`. */
export type UiOutputPayload = Record<string, unknown>;

/** An encoded intermediate image. */
export interface PreviewImagePayload {
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  data: Uint8Array;
}

interface RunEventBase {
  /** The run (ComfyUI's prompt_id). */
  runId: string;
}

/** A workflow entered the queue (emitted by the queue, not the runner). */
export interface QueuedEvent extends RunEventBase {
  type: 'queued';
  /** Jobs ahead of it. */
  position: number;
}

/** The runner accepted the workflow and starts. */
export interface ExecutionStartEvent extends RunEventBase {
  type: 'execution_start';
  /** Milliseconds since the epoch. */
  timestamp: number;
}

/** Nodes whose outputs come from the cache and will not run (sent once, right after execution_start, maybe empty). */
export interface ExecutionCachedEvent extends RunEventBase {
  type: 'execution_cached';
  nodes: string[];
}

/** A node starts running. */
export interface ExecutingEvent extends RunEventBase {
  type: 'executing';
  node: string;
  nodeType: string;
}

/** A running node's progress, e.g. sampling step `value` of `max`. */
export interface ProgressEvent extends RunEventBase {
  type: 'progress';
  node: string;
  value: number;
  max: number;
}

/** A running node's intermediate image. */
export interface PreviewEvent extends RunEventBase {
  type: 'preview';
  node: string;
  image: PreviewImagePayload;
}

/** An output node finished (or was served from the cache); `output` is what the client shows. */
export interface ExecutedEvent extends RunEventBase {
  type: 'executed';
  node: string;
  nodeType: string;
  output: UiOutputPayload;
  cached: boolean;
}

/** Time and memory of one node that ran. */
export interface StatsEvent extends RunEventBase {
  type: 'stats';
  node: string;
  nodeType: string;
  /** Wall time of `run`, milliseconds. */
  ms: number;
  /** Peak bytes during `run` from the host's memory probe (null when the host has none). */
  peakBytes: number | null;
  /** Extra numbers the node reported through ctx.stats. */
  extra: Record<string, number>;
}

/**
 * The run failed. Either validation (every issue, `node` null) or one node at run time (`node` set,
 * one issue with code node_failed or native_failed). Nodes already finished stay cached.
 */
export interface ExecutionErrorEvent extends RunEventBase {
  type: 'execution_error';
  node: string | null;
  nodeType: string | null;
  message: string;
  issues: GraphIssue[];
}

/** The run stopped because it was interrupted; `node` is the node that was running or next. */
export interface ExecutionInterruptedEvent extends RunEventBase {
  type: 'execution_interrupted';
  node: string | null;
  nodeType: string | null;
  /** Nodes that finished (ran or were cached) before the interrupt. */
  executed: string[];
}

/** Every output node finished. */
export interface ExecutionSuccessEvent extends RunEventBase {
  type: 'execution_success';
  timestamp: number;
}

/** Every event of a run, keyed by `type`. */
export type RunEvent =
  | QueuedEvent
  | ExecutionStartEvent
  | ExecutionCachedEvent
  | ExecutingEvent
  | ProgressEvent
  | PreviewEvent
  | ExecutedEvent
  | StatsEvent
  | ExecutionErrorEvent
  | ExecutionInterruptedEvent
  | ExecutionSuccessEvent;

export type RunEventType = RunEvent['type'];
