/**
 * Run events: every event a run emits, and the queue's state. The runner emits them; server/api fans
 * them out to socket.io (`run:event`, `queue:changed`) and to ComfyUI's `/ws` (whose message names they
 * keep: `execution_start`, `executing`, `progress`, ...). Add an event here first.
 *
 * @example
 *   function onEvent(event: RunEvent) {
 *     if (event.type === 'progress') bar(event.node).set(event.value / event.max);
 *     if (event.type === 'execution_error') for (const issue of event.issues) mark(issue.nodeId, issue.input);
 *   }
 */
import { z } from 'zod';

import { issueSchema } from './issues.ts';

/** JSON an output node gives the client (ComfyUI's `ui`), e.g. `{ images: [{ filename, subfolder, type }] }`. */
export const uiOutputSchema = z.record(z.string(), z.unknown());
export type UiOutput = z.infer<typeof uiOutputSchema>;

/** An encoded intermediate image (a sampler's step preview). */
export const previewImageSchema = z.object({
  mime: z.enum(['image/png', 'image/jpeg']),
  width: z.number().int(),
  height: z.number().int(),
  data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'must be bytes (Uint8Array)'),
});
export type PreviewImage = z.infer<typeof previewImageSchema>;

/** The run (ComfyUI's prompt_id). */
const runId = z.string();
const nodeId = z.string();

/** A workflow entered the queue (emitted by the queue, not the runner); `position`: jobs ahead of it. */
export const queuedEventSchema = z.object({ type: z.literal('queued'), runId, position: z.number().int() });

/** The runner accepted the workflow and starts; `timestamp` in milliseconds since the epoch. */
export const executionStartEventSchema = z.object({ type: z.literal('execution_start'), runId, timestamp: z.number() });

/** Nodes whose outputs come from the cache and will not run (sent once, right after execution_start, maybe empty). */
export const executionCachedEventSchema = z.object({ type: z.literal('execution_cached'), runId, nodes: z.array(nodeId) });

/** A node starts running. */
export const executingEventSchema = z.object({ type: z.literal('executing'), runId, node: nodeId, nodeType: z.string() });

/** A running node's progress, e.g. sampling step `value` of `max`. */
export const progressEventSchema = z.object({ type: z.literal('progress'), runId, node: nodeId, value: z.number(), max: z.number() });

/** A running node's intermediate image. */
export const previewEventSchema = z.object({ type: z.literal('preview'), runId, node: nodeId, image: previewImageSchema });

/** An output node finished (or was served from the cache); `output` is what the client shows. */
export const executedEventSchema = z.object({
  type: z.literal('executed'),
  runId,
  node: nodeId,
  nodeType: z.string(),
  output: uiOutputSchema,
  cached: z.boolean(),
});

/**
 * Time and memory of one node that ran: `ms` the wall time of `run`, `peakBytes` the peak during `run`
 * from the host's memory probe (null when the host has none), `extra` the numbers the node reported
 * through ctx.stats.
 */
export const statsEventSchema = z.object({
  type: z.literal('stats'),
  runId,
  node: nodeId,
  nodeType: z.string(),
  ms: z.number(),
  peakBytes: z.number().nullable(),
  extra: z.record(z.string(), z.number()),
});

/**
 * The run failed. Either validation (every issue, `node` null) or one node at run time (`node` set,
 * one issue with code node_failed or native_failed). Nodes already finished stay cached.
 */
export const executionErrorEventSchema = z.object({
  type: z.literal('execution_error'),
  runId,
  node: nodeId.nullable(),
  nodeType: z.string().nullable(),
  message: z.string(),
  issues: z.array(issueSchema),
});

/** The run stopped because it was interrupted; `node` is the node that was running or next, `executed` what finished before. */
export const executionInterruptedEventSchema = z.object({
  type: z.literal('execution_interrupted'),
  runId,
  node: nodeId.nullable(),
  nodeType: z.string().nullable(),
  executed: z.array(nodeId),
});

/** Every output node finished. */
export const executionSuccessEventSchema = z.object({ type: z.literal('execution_success'), runId, timestamp: z.number() });

/** Every event of a run, keyed by `type`. */
export const runEventSchema = z.discriminatedUnion('type', [
  queuedEventSchema,
  executionStartEventSchema,
  executionCachedEventSchema,
  executingEventSchema,
  progressEventSchema,
  previewEventSchema,
  executedEventSchema,
  statsEventSchema,
  executionErrorEventSchema,
  executionInterruptedEventSchema,
  executionSuccessEventSchema,
]);

export type RunEvent = z.infer<typeof runEventSchema>;
export type RunEventType = RunEvent['type'];
export type QueuedEvent = z.infer<typeof queuedEventSchema>;
export type ExecutionErrorEvent = z.infer<typeof executionErrorEventSchema>;
export type ExecutionInterruptedEvent = z.infer<typeof executionInterruptedEventSchema>;

/** The run's last event: one of these ends every run. */
export const TERMINAL_EVENTS: ReadonlySet<RunEventType> = new Set(['execution_success', 'execution_error', 'execution_interrupted']);

/** Milestones a job's record keeps (ComfyUI's history "status.messages"), in order, as `[type, event]`. */
export const MILESTONE_EVENTS: ReadonlySet<RunEventType> = new Set(['execution_start', 'execution_cached', 'execution_success', 'execution_error', 'execution_interrupted']);

/** The queue as socket.io's `queue:changed` sends it: jobs waiting, and the running ones (`running`: the first). */
export const queueStateSchema = z.object({
  queued: z.number().int(),
  running: z.string().nullable(),
  runningIds: z.array(z.string()),
});
export type QueueState = z.infer<typeof queueStateSchema>;

/** socket.io event names (`subject:event`): what the server sends and what a client asks. */
export const SOCKET_EVENTS = {
  /** server -> client: a RunEvent of a run the client subscribed to (or queued with its clientId). */
  runEvent: 'run:event',
  /** server -> every client: the QueueState after a change. */
  queueChanged: 'queue:changed',
  /** client -> server: `{ runId }`, receive that run's events. */
  runSubscribe: 'run:subscribe',
  /** client -> server: `{ runId }`, stop receiving them. */
  runUnsubscribe: 'run:unsubscribe',
} as const;
