/**
 * The job queue in Redis, server side: jobs are BullMQ jobs (id = run id) that `latentflow worker`
 * processes run. BullMQ keeps each job once, finished ones included (removeOnComplete: false), so the
 * history is its completed and failed sets: a job re-run after its worker died is still one job.
 * A job's record is its BullMQ state plus what the worker returned (the run's JobOutcome).
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';

import { type Job, type JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { type ExecutionGraph, type JobError, jobError, readJobError, type UiOutput } from '../../../protocol/index.ts';
import type { Host } from '../../host.ts';
import type { EnqueueRequest, JobRecord } from '../../store/job-store.ts';
import type { QueueState } from '../bus.ts';
import { type FileRef, type JobQueue, QueueUnavailableError, RunExistsError, type WorkerInfo } from '../queue.ts';
import type { JobOutcome } from '../run-job.ts';
import { fetchOutputFile, type InputBlobRef, inputFilesOf, putInputBlobs, seedFileCounters } from './files.ts';
import { openRedis, type RedisKeys, redisKeys, type RedisQueueOptions } from './options.ts';
import { RedisEventBus } from './redis-bus.ts';
import { type ShippedSubgraph, subgraphsUsedBy } from './subgraphs.ts';

/** A BullMQ job's data: the run as the embedded store keeps it, plus the input files it reads. */
export interface RedisJobData {
  /** The workflow as it runs: parsed and validated when it was queued. */
  prompt: ExecutionGraph;
  extra: Record<string, unknown>;
  clientId: string | null;
  number: number;
  outputNodeIds: string[] | null;
  inputs: InputBlobRef[];
  /** The subgraph node types the workflow uses, so a worker without their pack runs it (subgraphs.ts). */
  subgraphs?: ShippedSubgraph[];
  createdAt: number;
}

export type RedisJob = Job<RedisJobData, JobOutcome>;

/** Commands on the control channel. */
export interface ControlMessage {
  type: 'interrupt';
  /** null: every running job. */
  runId: string | null;
}

/** The BullMQ queue with the options latentflow uses (server and workers open it alike). */
export function openQueue(options: RedisQueueOptions, connection: Redis): Queue<RedisJobData, JobOutcome> {
  return new Queue<RedisJobData, JobOutcome>(redisKeys(options.prefix).queueName, {
    connection,
    prefix: options.prefix,
    defaultJobOptions: {
      attempts: options.attempts,
      backoff: { type: 'exponential', delay: options.backoffMs },
      removeOnComplete: false,
      removeOnFail: false,
    },
  }).on('error', () => {}); // the connection logs its errors once per kind (openRedis)
}

/** The queue's counts and running jobs (one round of reads). */
export async function queueStateOf(queue: Queue<RedisJobData, JobOutcome>): Promise<QueueState> {
  const [counts, active] = await Promise.all([queue.getJobCounts('waiting', 'prioritized', 'delayed'), queue.getActive(0, -1)]);
  const runningIds = active.map((j) => j.id!).filter(Boolean);
  return { queued: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0), running: runningIds[0] ?? null, runningIds };
}

/** A BullMQ job as the API's JobRecord. */
export function recordOf(job: RedisJob, state: JobState | 'unknown'): JobRecord {
  const data = job.data;
  let status: JobRecord['status'] = 'queued';
  let outputs: Record<string, UiOutput> | null = null;
  let error: JobError | null = null;
  let finishedAt: number | null = null;
  if (state === 'completed') {
    const outcome = job.returnvalue;
    status = outcome?.status ?? 'error';
    outputs = outcome?.outputs ?? null;
    error = outcome ? readJobError(outcome.error) : jobError('no_outcome', 'the worker returned no outcome');
    finishedAt = job.finishedOn ?? Date.now();
  } else if (state === 'failed') {
    status = 'error';
    error = jobError('worker_failed', job.failedReason || 'the job failed', { attempts: job.attemptsMade });
    finishedAt = job.finishedOn ?? Date.now();
  } else if (state === 'active') {
    status = 'running';
  }
  return {
    id: job.id!,
    number: data.number,
    status,
    prompt: data.prompt,
    extra: data.extra,
    clientId: data.clientId,
    createdAt: data.createdAt ?? job.timestamp,
    startedAt: status === 'queued' ? null : (job.processedOn ?? null),
    finishedAt,
    attempts: job.attemptsStarted ?? 0,
    outputs,
    error,
    outputNodeIds: data.outputNodeIds,
    workerId: status === 'queued' ? null : (job.processedBy ?? null),
  };
}

const QUEUED_STATES: JobState[] = ['waiting', 'prioritized', 'delayed'];

/** How long a request waits for Redis before it is answered 503 (a connection that is not ready: at once). */
const REDIS_WAIT_MS = 5000;

export class RedisJobQueue implements JobQueue {
  readonly kind = 'redis' as const;
  readonly bus: RedisEventBus;
  private readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly queue: Queue<RedisJobData, JobOutcome>;

  constructor(
    private readonly options: RedisQueueOptions,
    private readonly host: Host,
  ) {
    const name = `server-${os.hostname()}-${process.pid}`;
    this.keys = redisKeys(options.prefix);
    this.redis = openRedis(options.url, { name });
    this.queue = openQueue(options, this.redis);
    this.bus = new RedisEventBus(options, name);
  }

  async start(): Promise<void> {
    await withTimeout(this.redis.ping(), 10_000, `cannot reach Redis at ${redactUrl(this.options.url)} (is it running? is the URL right?)`);
    await this.bus.ready();
    await this.queue.waitUntilReady();
    await seedFileCounters(this.redis, this.keys, [
      { type: 'output', dir: this.host.paths.output },
      { type: 'temp', dir: this.host.paths.temp },
    ]);
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.queue.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * Every request goes through here: while the connection is not ready (Redis down or restarting) it
   * fails at once, and one that gets no answer within REDIS_WAIT_MS fails too, both as
   * QueueUnavailableError (HTTP 503), instead of waiting in ioredis' offline queue for many seconds.
   * `signal` is aborted when the caller has been answered so: work that would change something checks
   * it first (ioredis resends an unanswered command after reconnecting, so work can go on afterwards).
   */
  private async available<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const message = `the job queue is unavailable: Redis at ${redactUrl(this.options.url)} does not answer (down or restarting); try again in a few seconds`;
    if (this.redis.status !== 'ready') throw new QueueUnavailableError(message);
    const answered = new AbortController();
    try {
      return await withTimeout(work(answered.signal), REDIS_WAIT_MS, message);
    } catch (error) {
      answered.abort();
      if (this.redis.status !== 'ready' || (error as Error).message === message) throw new QueueUnavailableError(message);
      throw error;
    }
  }

  async enqueue(request: EnqueueRequest): Promise<JobRecord> {
    // Acknowledged (returned) only once BullMQ has stored the job; what follows is best effort.
    const job = await this.available((answered) => this.add(request, answered));
    const state = await this.publishQueue().catch(() => null);
    this.bus.publishRun({ event: { type: 'queued', runId: job.id!, position: Math.max(0, (state?.queued ?? 1) - 1) }, clientId: job.data.clientId });
    return recordOf(job, 'waiting');
  }

  /**
   * Stores the job. The client was answered 503 once `answered` is aborted: then nothing more is written
   * (a job added by a command already sent when Redis went away still runs: at least once, not lost).
   */
  private async add(request: EnqueueRequest, answered: AbortSignal): Promise<RedisJob> {
    const id = request.id ?? randomUUID();
    if (await this.queue.getJob(id)) throw new RunExistsError(id);
    if (answered.aborted) throw answered.reason;
    const number = request.front ? await this.redis.decr(this.keys.frontNumber) : await this.redis.incr(this.keys.number);
    const inputs = await putInputBlobs(this.redis, this.keys, inputFilesOf(request.prompt, this.host.paths.input), this.options.fileTtlSeconds);
    const data: RedisJobData = {
      prompt: request.prompt,
      extra: request.extra ?? {},
      clientId: request.clientId ?? null,
      number,
      outputNodeIds: request.outputNodeIds ?? null,
      inputs,
      subgraphs: subgraphsUsedBy(request.prompt, this.host.registry),
      createdAt: Date.now(),
    };
    if (answered.aborted) throw answered.reason;
    return this.queue.add('run', data, { jobId: id, lifo: request.front === true });
  }

  get(id: string): Promise<JobRecord | undefined> {
    return this.available(async () => {
      // State first, then the job: the job and its state are two reads, and a job read before a worker
      // finished it has no returnvalue yet, while its state read a moment later says "completed". Reading
      // the state first (and re-reading until both agree) never pairs a finished state with unfinished data.
      for (let attempt = 0; ; attempt++) {
        const state = await this.queue.getJobState(id);
        if (state === 'unknown') return undefined;
        const job = await this.queue.getJob(id);
        if (!job) return undefined;
        const finishedData = job.finishedOn !== undefined && job.finishedOn !== null;
        const finishedState = state === 'completed' || state === 'failed';
        if (finishedData === finishedState || attempt >= 4) return recordOf(job, finishedState || !finishedData ? state : await job.getState());
      }
    });
  }

  pending(): Promise<JobRecord[]> {
    return this.available(async () => {
      const [active, queued] = await Promise.all([this.queue.getActive(0, -1), this.queue.getJobs(QUEUED_STATES, 0, -1)]);
      return [
        ...active.map((j) => recordOf(j, 'active')).sort((a, b) => (a.startedAt ?? 0) - (b.startedAt ?? 0)),
        ...queued.map((j) => recordOf(j, 'waiting')).sort((a, b) => a.number - b.number),
      ];
    });
  }

  state(): Promise<QueueState> {
    return this.available(() => queueStateOf(this.queue));
  }

  history({ offset = 0, limit = 50 }: { offset?: number; limit?: number } = {}): Promise<{ total: number; jobs: JobRecord[] }> {
    return this.available(async () => {
      // Both sets are ordered by finishing time; the newest offset+limit of each hold the page.
      const end = offset + limit - 1;
      const [counts, completed, failed] = await Promise.all([
        this.queue.getJobCounts('completed', 'failed'),
        this.queue.getJobs(['completed'], 0, end, false),
        this.queue.getJobs(['failed'], 0, end, false),
      ]);
      const jobs = [...completed.map((j) => recordOf(j, 'completed')), ...failed.map((j) => recordOf(j, 'failed'))]
        .sort((a, b) => (b.finishedAt ?? 0) - (a.finishedAt ?? 0) || b.number - a.number)
        .slice(offset, offset + limit);
      return { total: (counts.completed ?? 0) + (counts.failed ?? 0), jobs };
    });
  }

  removeQueued(id: string): Promise<boolean> {
    return this.available(async () => {
      const job = await this.queue.getJob(id);
      if (!job || !QUEUED_STATES.includes((await job.getState()) as JobState)) return false;
      try {
        await job.remove();
      } catch {
        return false; // a worker took it in between
      }
      await this.publishQueue();
      return true;
    });
  }

  clearQueued(): Promise<number> {
    return this.available(async () => {
      const { queued } = await this.state();
      await this.queue.drain(true);
      await this.publishQueue();
      return queued;
    });
  }

  deleteHistory(ids?: string[]): Promise<number> {
    return this.available(async () => {
      if (!ids) {
        const removed = await Promise.all([this.queue.clean(0, 0, 'completed'), this.queue.clean(0, 0, 'failed')]);
        return removed[0].length + removed[1].length;
      }
      let n = 0;
      for (const id of ids) {
        const job = await this.queue.getJob(id);
        if (!job) continue;
        const state = await job.getState();
        if (state !== 'completed' && state !== 'failed') continue;
        await job.remove().then(() => n++, () => {});
      }
      return n;
    });
  }

  interrupt(runId?: string): Promise<boolean> {
    return this.available(async () => {
      const { runningIds } = await this.state();
      if (runId && !runningIds.includes(runId)) return false;
      const message: ControlMessage = { type: 'interrupt', runId: runId ?? null };
      await this.redis.publish(this.keys.control, JSON.stringify(message));
      return runningIds.length > 0;
    });
  }

  workers(): Promise<WorkerInfo[]> {
    return this.available(async () => {
      const ids = await this.redis.zrange(this.keys.workers, '0', '-1');
      if (ids.length === 0) return [];
      const beats = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
      const workers: WorkerInfo[] = [];
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const beat = beats[i];
        if (beat) workers.push(JSON.parse(beat) as WorkerInfo);
        else gone.push(id); // its heartbeat expired: it stopped or died
      });
      if (gone.length) await this.redis.zrem(this.keys.workers, ...gone);
      return workers.sort((a, b) => a.id.localeCompare(b.id));
    });
  }

  fetchFile(ref: FileRef): Promise<Buffer | null> {
    return this.available(() => fetchOutputFile(this.redis, this.keys, ref));
  }

  private async publishQueue(): Promise<QueueState> {
    const state = await this.state();
    this.bus.publishQueue(state);
    return state;
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
