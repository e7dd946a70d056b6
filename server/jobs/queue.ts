/**
 * The job queue as routes see it: one interface, two implementations.
 * - `EmbeddedQueue` (embedded-queue.ts): jobs and history in SQLite, run by this process's executor.
 * - `RedisJobQueue` (redis/redis-queue.ts): jobs in BullMQ on Redis, run by any number of
 *   `latentflow worker` processes; events and output files come back through Redis.
 * Routes call only this interface, so every route behaves the same in both modes.
 */
import type { WorkerInfo } from '../../protocol/index.ts';
import type { EnqueueRequest, JobRecord } from '../store/job-store.ts';
import type { EventBus, QueueState } from './bus.ts';

/**
 * The queue cannot be reached right now (Redis is down or restarting): the request did nothing and may
 * be repeated later. The API answers 503 `queue_unavailable`; the server keeps serving everything else.
 */
export class QueueUnavailableError extends Error {
  override name = 'QueueUnavailableError';
}

/** A run id a client chose (ComfyUI's `prompt_id`) is already taken: 409, nothing queued. */
export class RunExistsError extends Error {
  override name = 'RunExistsError';
  constructor(readonly runId: string) {
    super(`a run with id "${runId}" already exists: send a new prompt_id (or none, and the server picks one)`);
  }
}


export type { WorkerInfo };

/** A file a run wrote, as outputs name it (ComfyUI's image ref). */
export interface FileRef {
  type: 'output' | 'temp';
  subfolder: string;
  filename: string;
}

export interface JobQueue {
  readonly kind: 'embedded' | 'redis';
  /** Where run and queue events are published and heard. */
  readonly bus: EventBus;
  /** Starts running (embedded) or listening (Redis). */
  start(): Promise<void>;
  /** Stops; the embedded executor interrupts its running job (it re-runs after a restart). */
  close(): Promise<void>;
  /** Queues a validated workflow; publishes its `queued` event and the queue's new state. */
  enqueue(request: EnqueueRequest): Promise<JobRecord>;
  get(id: string): Promise<JobRecord | undefined>;
  /** Running then queued jobs, in run order. */
  pending(): Promise<JobRecord[]>;
  state(): Promise<QueueState>;
  /** Finished jobs, newest first; each job once. */
  history(page?: { offset?: number; limit?: number }): Promise<{ total: number; jobs: JobRecord[] }>;
  /** Removes a queued job; false when it is not queued (running or finished jobs stay). */
  removeQueued(id: string): Promise<boolean>;
  clearQueued(): Promise<number>;
  deleteHistory(ids?: string[]): Promise<number>;
  /** Interrupts `runId` if it runs, or every running job; true when one was running. */
  interrupt(runId?: string): Promise<boolean>;
  workers(): Promise<WorkerInfo[]>;
  /**
   * A file a run wrote that this server's folders do not hold (a remote worker wrote it); null when
   * there is none. The embedded queue's runs write into the server's folders, so it has none.
   */
  fetchFile(ref: FileRef): Promise<Buffer | null>;
}
