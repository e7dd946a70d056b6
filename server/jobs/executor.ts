/**
 * Runs queued jobs one at a time on this process's runner (the embedded mode): claims the next job
 * from the store, runs it (runJob), publishes every event on the bus, and records the outcome in the
 * store. Interrupting aborts the running job at the next step boundary; the executor keeps going.
 *
 * The store can fail under it (the disk is full: SQLite's "database or disk is full"). Then the
 * executor keeps serving: an outcome it cannot record is held here (and shown by `unrecorded`) and
 * recorded as soon as a retry succeeds; a job it cannot claim stays queued until a retry can. Each
 * such failure is logged once, saying what is wrong and what to do.
 */
import { type JobError, jobError, type RunEvent, type UiOutput } from '../../protocol/index.ts';
import type { Host } from '../host.ts';
import type { JobRecord, JobStatus, JobStore } from '../store/job-store.ts';
import { DISK_FULL_MESSAGE, isDiskFull } from '../store/storage-errors.ts';
import type { EventBus } from './bus.ts';
import { comfyPreviews as comfyPreviewsOf } from './preview-method.ts';
import { runJob } from './run-job.ts';

/** How often a store that failed is tried again. */
const STORE_RETRY_MS = 2000;

interface Outcome {
  status: Exclude<JobStatus, 'queued' | 'running'>;
  outputs?: Record<string, UiOutput>;
  error?: JobError;
}

export class Executor {
  private running: { job: JobRecord; controller: AbortController } | null = null;
  private wake: (() => void) | null = null;
  private stopped = false;
  private loop: Promise<void> | null = null;
  /** Finished jobs whose outcome the store could not take yet, by id, with the time they finished. */
  private readonly pendingOutcomes = new Map<string, { job: JobRecord; outcome: Outcome; finishedAt: number }>();
  private storeFailing = false;

  constructor(
    private readonly store: JobStore,
    private readonly host: Host,
    private readonly bus: EventBus,
    private readonly log: (message: string) => void = (message) => console.error(`latentflow: ${message}`),
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
    this.flushOutcomes();
  }

  /**
   * Tells the loop a job was queued. The job starts on the next turn of the event loop, after the route
   * that queued it has answered: a ComfyUI client (@saintno/comfyui-sdk's CallWrapper) listens for the
   * run's events only once POST /prompt has answered, and a run served from the cache could otherwise
   * send its `executing` before that.
   */
  notify(): void {
    setImmediate(() => this.wake?.());
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

  /**
   * A job that finished but whose outcome is not in the store yet (the disk is full), as it will be
   * recorded; undefined for any other job.
   */
  unrecorded(id: string): JobRecord | undefined {
    const pending = this.pendingOutcomes.get(id);
    if (!pending) return undefined;
    const { job, outcome, finishedAt } = pending;
    return { ...job, status: outcome.status, finishedAt, outputs: outcome.outputs ?? null, error: outcome.error ?? null };
  }

  publishQueue(): void {
    let pending: JobRecord[];
    try {
      pending = this.store.pending();
    } catch (error) {
      this.storeFailed('reading the queue', error);
      return;
    }
    const running = this.runningId();
    this.bus.publishQueue({ queued: pending.filter((j) => j.status === 'queued').length, running, runningIds: running ? [running] : [] });
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.flushOutcomes();
      let job: JobRecord | undefined;
      try {
        job = this.store.claimNext();
      } catch (error) {
        this.storeFailed('taking the next job', error);
      }
      if (!job) {
        // Idle until a job is queued; while the store fails, also wake to try it again.
        const retry = this.storeFailing || this.pendingOutcomes.size > 0;
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          if (retry) setTimeout(resolve, STORE_RETRY_MS).unref();
        });
        this.wake = null;
        continue;
      }
      this.storeRecovered();
      await this.execute(job);
    }
  }

  private async execute(job: JobRecord): Promise<void> {
    const controller = new AbortController();
    this.running = { job, controller };
    this.publishQueue();
    let terminal: RunEvent[] = [];
    let outcome: Outcome;
    const comfyPreviews = comfyPreviewsOf(job.extra, 'none'); // the route that queued it resolved the server's default into extra
    try {
      const run = await runJob(job, this.host, { signal: controller.signal, publish: (event) => this.bus.publishRun({ event, clientId: job.clientId, comfyPreviews }) });
      terminal = run.terminal;
      const { status, outputs, error } = run.outcome;
      outcome = { status, outputs, ...(error ? { error } : {}) };
    } catch (error) {
      // executeGraph reports node failures as results; reaching here is a bug of ours, not a lost job.
      outcome = { status: 'error', error: jobError('internal', `internal error: ${(error as Error)?.message ?? String(error)}`) };
    }
    this.pendingOutcomes.set(job.id, { job, outcome, finishedAt: Date.now() });
    this.flushOutcomes();
    this.running = null;
    for (const event of terminal) this.bus.publishRun({ event, clientId: job.clientId });
    this.publishQueue();
  }

  /** Records every held outcome the store takes now; keeps the others for the next try. */
  private flushOutcomes(): void {
    for (const [id, { outcome }] of this.pendingOutcomes) {
      try {
        this.store.finish(id, outcome.status, outcome);
        this.pendingOutcomes.delete(id);
        this.storeRecovered();
      } catch (error) {
        this.storeFailed(`recording the outcome of run ${id} (${outcome.status}; kept in memory and recorded once the store takes it)`, error);
        return;
      }
    }
  }

  private storeFailed(what: string, error: unknown): void {
    if (this.storeFailing) return; // said once per failure, not every retry
    this.storeFailing = true;
    const reason = isDiskFull(error) ? DISK_FULL_MESSAGE : `${(error as Error)?.message ?? String(error)}`;
    this.log(`the job store failed while ${what}: ${reason}. The server keeps serving and tries again every ${STORE_RETRY_MS / 1000} s.`);
  }

  private storeRecovered(): void {
    if (!this.storeFailing) return;
    this.storeFailing = false;
    this.log('the job store works again: held outcomes are recorded and queued jobs run');
  }
}
