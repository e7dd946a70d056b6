/**
 * Runs queued jobs one at a time on this process's runner: claims the next job from the store, runs
 * it with executeGraph, publishes every event on the bus, and records the outcome in the store.
 * Interrupting aborts the running job at the next step boundary; the executor keeps going.
 */
import type { RunEvent } from '../api/protocol.ts';
import type { Host } from '../host.ts';
import { relieveMemoryPressure } from '../host.ts';
import { executeGraph } from '../runner/execute.ts';
import type { JobRecord, JobStore } from '../store/job-store.ts';
import type { EventBus } from './bus.ts';

/** Messages ComfyUI keeps in history ("status.messages"): the run's milestones, in order. */
const MILESTONES = new Set<RunEvent['type']>(['execution_start', 'execution_cached', 'execution_success', 'execution_error', 'execution_interrupted']);
const TERMINAL = new Set<RunEvent['type']>(['execution_success', 'execution_error', 'execution_interrupted']);

export class Executor {
  private running: { job: JobRecord; controller: AbortController } | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly store: JobStore,
    private readonly host: Host,
    private readonly bus: EventBus,
  ) {}

  /** Starts the loop (idempotent). */
  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  /** Stops after the current job (interrupting it) and resolves when the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.running?.controller.abort();
    this.wake?.();
    await this.loop;
  }

  /** Tells the loop a job was queued. */
  notify(): void {
    this.wake?.();
    this.publishQueue();
  }

  /** The running job's id, if any. */
  runningId(): string | null {
    return this.running?.job.id ?? null;
  }

  /** Interrupts the running job (or only if it is `runId`); returns whether one was interrupted. */
  interrupt(runId?: string): boolean {
    if (!this.running || (runId && this.running.job.id !== runId)) return false;
    this.running.controller.abort();
    return true;
  }

  publishQueue(): void {
    const pending = this.store.pending();
    this.bus.publishQueue({ queued: pending.filter((j) => j.status === 'queued').length, running: this.runningId() });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const job = this.store.claimNext();
      if (!job) {
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = null;
        continue;
      }
      await this.execute(job);
    }
  }

  private async execute(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    this.running = { job, controller };
    if (relieveMemoryPressure(this.host)) console.warn('latentflow: memory is low: unloaded cached models and results before the next run');
    this.publishQueue();
    const messages: [string, Record<string, unknown>][] = [];
    // The run's last event is published only after the job is recorded as finished, so a client that
    // reacts to it (ComfyUI clients fetch /history on it) finds the finished job.
    const terminal: RunEvent[] = [];
    try {
      const result = await executeGraph(job.prompt, this.host.registry, {
        runId: job.id,
        signal: controller.signal,
        cache: this.host.cache,
        memoryProbe: this.host.memoryProbe,
        services: { paths: this.host.paths, run: { prompt: job.prompt, extra: job.extra }, memoryBudgetBytes: this.host.memoryBudgetBytes },
        onEvent: (event) => {
          if (MILESTONES.has(event.type)) messages.push([event.type, { ...event }]);
          if (TERMINAL.has(event.type)) terminal.push(event);
          else this.bus.publishRun({ event, clientId: job.clientId });
        },
      });
      const outputs = result.outputs as Record<string, unknown>;
      if (result.status === 'success') this.store.finish(job.id, 'success', { outputs });
      else if (result.status === 'interrupted') this.store.finish(job.id, 'interrupted', { outputs, error: { message: 'interrupted by the user', messages } });
      else {
        const issue = result.issues[0];
        this.store.finish(job.id, 'error', {
          outputs,
          error: { message: issue?.message ?? 'the run failed', issues: result.issues, messages },
        });
      }
    } catch (error) {
      // executeGraph reports node failures as results; reaching here is a bug of ours, not a lost job.
      this.store.finish(job.id, 'error', { error: { message: `internal error: ${(error as Error).message}`, messages } });
    } finally {
      this.running = null;
      for (const event of terminal) this.bus.publishRun({ event, clientId: job.clientId });
      this.publishQueue();
    }
  }
}
