/**
 * Running one queued job on this process's runner: the one code path for jobs, shared by the
 * embedded executor and the remote worker. Publishes every event as it happens except the run's last
 * one (success, error, interrupted), which it hands back: the caller publishes it after recording the
 * outcome, so a client that reacts to it (ComfyUI clients fetch /history on it) finds the job finished.
 */
import type { RunEvent } from '../api/protocol.ts';
import type { HostPaths } from '../../nodes/schema.ts';
import { type Host, relieveMemoryPressure } from '../host.ts';
import { executeGraph } from '../runner/execute.ts';

/** Messages ComfyUI keeps in history ("status.messages"): the run's milestones, in order. */
const MILESTONES = new Set<RunEvent['type']>(['execution_start', 'execution_cached', 'execution_success', 'execution_error', 'execution_interrupted']);
export const TERMINAL_EVENTS = new Set<RunEvent['type']>(['execution_success', 'execution_error', 'execution_interrupted']);

/** What a job needs to run. */
export interface RunnableJob {
  id: string;
  prompt: Record<string, unknown>;
  extra: Record<string, unknown>;
}

/** How a run ended, as the queue records it. */
export interface JobOutcome {
  status: 'success' | 'error' | 'interrupted';
  outputs: Record<string, unknown>;
  error: Record<string, unknown> | null;
}

export interface RunJobOptions {
  signal: AbortSignal;
  /** Receives every event but the last, in order. */
  publish(event: RunEvent): void;
  /** Directories for this run (default: the host's). */
  paths?: HostPaths;
}

/**
 * Runs the job's workflow. Node failures and invalid workflows are outcomes (status "error", not
 * worth retrying); an exception escaping here is a fault of the host, which the caller handles.
 */
export async function runJob(job: RunnableJob, host: Host, options: RunJobOptions): Promise<{ outcome: JobOutcome; terminal: RunEvent[] }> {
  const messages: [string, Record<string, unknown>][] = [];
  const terminal: RunEvent[] = [];
  if (relieveMemoryPressure(host)) console.warn('latentflow: memory is low: unloaded cached models and results before the next run');
  const result = await executeGraph(job.prompt, host.registry, {
    runId: job.id,
    signal: options.signal,
    cache: host.cache,
    memoryProbe: host.memoryProbe,
    services: { paths: options.paths ?? host.paths, run: { prompt: job.prompt, extra: job.extra }, memoryBudgetBytes: host.memoryBudgetBytes },
    onEvent: (event) => {
      if (MILESTONES.has(event.type)) messages.push([event.type, { ...event }]);
      if (TERMINAL_EVENTS.has(event.type)) terminal.push(event);
      else options.publish(event);
    },
  });
  const outputs = result.outputs as Record<string, unknown>;
  if (result.status === 'success') return { outcome: { status: 'success', outputs, error: null }, terminal };
  if (result.status === 'interrupted') return { outcome: { status: 'interrupted', outputs, error: { message: 'interrupted by the user', messages } }, terminal };
  const issue = result.issues[0];
  return { outcome: { status: 'error', outputs, error: { message: issue?.message ?? 'the run failed', issues: result.issues, messages } }, terminal };
}
