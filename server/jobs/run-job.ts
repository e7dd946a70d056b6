/**
 * Running one queued job on this process's runner: the one code path for jobs, shared by the
 * embedded executor and the remote worker. Publishes every event as it happens except the run's last
 * one (success, error, interrupted), which it hands back: the caller publishes it after recording the
 * outcome, so a client that reacts to it (ComfyUI clients fetch /history on it) finds the job finished.
 */
import type { HostPaths } from '../../nodes/schema.ts';
import { type ExecutionGraph, type JobError, jobError, type Milestone, MILESTONE_EVENTS, type RunEvent, TERMINAL_EVENTS, type UiOutput } from '../../protocol/index.ts';
import { type Host, relieveMemoryPressure } from '../host.ts';
import { executeGraph } from '../runner/execute.ts';
import { renderedPreviewMethod } from './preview-method.ts';

/** What a job needs to run. */
export interface RunnableJob {
  id: string;
  prompt: ExecutionGraph;
  extra: Record<string, unknown>;
}

/** How a run ended, as both queues record it. */
export interface JobOutcome {
  status: 'success' | 'error' | 'interrupted';
  outputs: Record<string, UiOutput>;
  error: JobError | null;
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
  const messages: Milestone[] = [];
  const terminal: RunEvent[] = [];
  if (relieveMemoryPressure(host)) console.warn('latentflow: memory is low: unloaded cached models and results before the next run');
  const result = await executeGraph(job.prompt, host.registry, {
    runId: job.id,
    signal: options.signal,
    cache: host.cache,
    memoryProbe: host.memoryProbe,
    services: { paths: options.paths ?? host.paths, run: { prompt: job.prompt, extra: job.extra }, memoryBudgetBytes: host.memoryBudgetBytes, maxImagePixels: host.maxImagePixels,
      previewMethod: renderedPreviewMethod(job.extra, host.previewMethod ?? 'none') },
    onEvent: (event) => {
      if (MILESTONE_EVENTS.has(event.type)) messages.push([event.type, { ...event }]);
      if (TERMINAL_EVENTS.has(event.type)) terminal.push(event);
      else options.publish(event);
    },
  });
  const outputs = result.outputs;
  if (result.status === 'success') return { outcome: { status: 'success', outputs, error: null }, terminal };
  if (result.status === 'interrupted') return { outcome: { status: 'interrupted', outputs, error: jobError('interrupted', 'interrupted by the user', { messages }) }, terminal };
  const issue = result.issues[0];
  return { outcome: { status: 'error', outputs, error: jobError('run_failed', issue?.message ?? 'the run failed', { issues: result.issues, messages }) }, terminal };
}
