/**
 * Runs queued jobs one at a time on this process's runner (the embedded mode): claims the next job
 * from the store, runs it (runJob), publishes every event on the bus, and records the outcome in the
 * store. Interrupting aborts the running job at the next step boundary; the executor keeps going.
 */
import { jobError, type RunEvent } from '../../protocol/index.ts';
import type { Host } from '../host.ts';
import type { JobRecord, JobStore } from '../store/job-store.ts';
import type { EventBus } from './bus.ts';
import { runJob } from './run-job.ts';

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
    const running = this.runningId();
    this.bus.publishQueue({ queued: pending.filter((j) => j.status === 'queued').length, running, runningIds: running ? [running] : [] });
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
    this.publishQueue();
    let terminal: RunEvent[] = [];
    try {
      const run = await runJob(job, this.host, { signal: controller.signal, publish: (event) => this.bus.publishRun({ event, clientId: job.clientId }) });
      terminal = run.terminal;
      const { status, outputs, error } = run.outcome;
      this.store.finish(job.id, status, { outputs, ...(error ? { error } : {}) });
    } catch (error) {
      // executeGraph reports node failures as results; reaching here is a bug of ours, not a lost job.
      this.store.finish(job.id, 'error', { error: jobError('internal', `internal error: ${(error as Error).message}`) });
    } finally {
      this.running = null;
      for (const event of terminal) this.bus.publishRun({ event, clientId: job.clientId });
      this.publishQueue();
    }
  }
}
