/**
 * The embedded queue: jobs and history in this server's SQLite store, run one at a time by this
 * process's executor, events on an in-process bus. What `latentflow serve` uses without --redis.
 * A job whose outcome the store could not record yet (a full disk) is shown finished, as the executor
 * holds it, not as the store's stale "running".
 */
import os from 'node:os';

import { loadedModels, type Host } from '../host.ts';
import { type EnqueueRequest, type JobRecord, JobStore } from '../store/job-store.ts';
import { type EventBus, LocalEventBus, type QueueState } from './bus.ts';
import { Executor } from './executor.ts';
import type { FileRef, JobQueue, WorkerInfo } from './queue.ts';

export class EmbeddedQueue implements JobQueue {
  readonly kind = 'embedded' as const;
  readonly bus: EventBus = new LocalEventBus();
  readonly store: JobStore;
  private readonly executor: Executor;
  private readonly startedAt = Date.now();

  constructor(
    dataDir: string,
    private readonly host: Host,
  ) {
    this.store = new JobStore(dataDir);
    this.executor = new Executor(this.store, host, this.bus);
  }

  async start(): Promise<void> {
    this.executor.start();
  }

  async close(): Promise<void> {
    await this.executor.stop();
    await this.bus.close();
    this.store.close();
  }

  async enqueue(request: EnqueueRequest): Promise<JobRecord> {
    const job = this.store.enqueue(request);
    const position = this.store.pending().filter((j) => j.status === 'queued').length - 1;
    this.bus.publishRun({ event: { type: 'queued', runId: job.id, position }, clientId: job.clientId });
    this.executor.notify();
    return job;
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.executor.unrecorded(id) ?? this.store.get(id);
  }

  async pending(): Promise<JobRecord[]> {
    return this.store.pending().filter((job) => !this.executor.unrecorded(job.id));
  }

  async state(): Promise<QueueState> {
    const running = this.executor.runningId();
    return { queued: (await this.pending()).filter((j) => j.status === 'queued').length, running, runningIds: running ? [running] : [] };
  }

  async history(page: { offset?: number; limit?: number } = {}): Promise<{ total: number; jobs: JobRecord[] }> {
    return this.store.history(page);
  }

  async removeQueued(id: string): Promise<boolean> {
    const removed = this.store.removeQueued(id);
    if (removed) this.executor.publishQueue();
    return removed;
  }

  async clearQueued(): Promise<number> {
    const n = this.store.clearQueued();
    this.executor.publishQueue();
    return n;
  }

  async deleteHistory(ids?: string[]): Promise<number> {
    return this.store.deleteHistory(ids);
  }

  async interrupt(runId?: string): Promise<boolean> {
    return this.executor.interrupt(runId);
  }

  async workers(): Promise<WorkerInfo[]> {
    const running = this.executor.runningId();
    return [{
      id: `embedded-${process.pid}`,
      kind: 'embedded',
      host: os.hostname(),
      pid: process.pid,
      status: running ? 'busy' : 'idle',
      currentJob: running,
      currentJobs: running ? [running] : [],
      concurrency: 1,
      loadedModels: loadedModels(this.host),
      startedAt: this.startedAt,
      lastHeartbeat: Date.now(),
    }];
  }

  async fetchFile(_ref: FileRef): Promise<Buffer | null> {
    return null;
  }
}
