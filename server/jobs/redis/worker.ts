/**
 * A remote worker (`latentflow worker --redis URL`): takes jobs from the BullMQ queue and runs them
 * on this process's runner (runJob, as the embedded executor does), with its own models directory.
 *
 * - Events go out on the Redis bus as they happen; the images a node reports are first published
 *   into Redis under names unique across workers (files.ts), so the event names what servers serve.
 * - At least once: BullMQ holds a lock on each running job, renewed while it runs; a worker killed
 *   mid-job stops renewing, and another worker's stalled check puts the job back to run again. A
 *   fault of the worker (Redis unreachable while publishing, disk full) throws and BullMQ retries with
 *   backoff; a node error or invalid workflow is an outcome ("error") and is not retried.
 * - The run's last event is published once BullMQ has recorded the job finished ('completed'), or
 *   once Redis says it is when BullMQ's answer was lost in a Redis restart (publishUnconfirmedEnds).
 * - Health: a heartbeat key with a TTL (id, host, pid, status, current jobs, loaded models).
 * - Subgraph node types come with the job (subgraphs.ts): the worker needs no copy of the server's packs.
 * - Redis away: ioredis reconnects every connection; a job whose lock renewal failed meanwhile is
 *   abandoned here (RunAbandoned) and re-run once BullMQ's stalled check finds it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type Job, type Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';

import type { RunEvent, UiOutput } from '../../../protocol/index.ts';
import { type Host, loadedModels } from '../../host.ts';
import type { FileRef, WorkerInfo } from '../queue.ts';
import { comfyPreviews } from '../preview-method.ts';
import { type JobOutcome, runJob } from '../run-job.ts';
import { fetchInputBlobs, imageRefsOf, MissingInputError, publishOutputFile, refKey, renameImages } from './files.ts';
import { openRedis, type RedisKeys, redisKeys, type RedisQueueOptions } from './options.ts';
import { RedisEventBus } from './redis-bus.ts';
import { registryForJob } from './subgraphs.ts';
import { type ControlMessage, openQueue, queueStateOf, type RedisJob, type RedisJobData, withTimeout } from './redis-queue.ts';

export interface RemoteWorkerOptions {
  redis: RedisQueueOptions;
  host: Host;
  /** This worker's folder: per-job inputs, and the output/temp files it wrote (host.paths point there). */
  workDir: string;
  /** Jobs run at once in this process (default 1). */
  concurrency?: number;
  /** Default `<hostname>-<pid>`. */
  id?: string;
}

/** Why a run was stopped by the worker itself (not the user's interrupt): the job is not finished here. */
class RunAbandoned extends Error {
  override name = 'RunAbandoned';
}

interface Running {
  controller: AbortController;
  startedAt: number;
}

/** Published names of the files this worker wrote (a node served from the cache reports old ones). */
const MAX_RENAMES = 10_000;

export class RemoteWorker {
  readonly id: string;
  private readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly control: Redis;
  private readonly queue: Queue<RedisJobData, JobOutcome>;
  private readonly bus: RedisEventBus;
  private worker: Worker<RedisJobData, JobOutcome> | null = null;
  /** BullMQ's connection (it duplicates it for blocking reads, and leaves it to us to close). */
  private workerConnection: Redis | null = null;
  private readonly running = new Map<string, Running>();
  /** Terminal events of runs waiting for BullMQ to record them (published on 'completed'). */
  private readonly finished = new Map<string, { terminal: RunEvent[]; clientId: string | null; attempt: number }>();
  private readonly renames = new Map<string, FileRef>();
  /** The sweep of publishUnconfirmedEnds running, and whether another error asked for one meanwhile. */
  private sweeping: Promise<void> | null = null;
  private sweepAgain = false;
  private heartbeat: NodeJS.Timeout | null = null;
  private status: WorkerInfo['status'] = 'idle';
  private readonly startedAt = Date.now();
  private readonly concurrency: number;

  constructor(private readonly options: RemoteWorkerOptions) {
    this.id = options.id ?? `${os.hostname()}-${process.pid}`;
    this.concurrency = options.concurrency ?? 1;
    this.keys = redisKeys(options.redis.prefix);
    this.redis = openRedis(options.redis.url, { name: `worker-${this.id}` });
    this.control = openRedis(options.redis.url, { name: `worker-${this.id}:control`, blocking: true });
    this.queue = openQueue(options.redis, this.redis);
    this.bus = new RedisEventBus(options.redis, `worker-${this.id}`); // publishes only: the servers show what they hear
  }

  /** Connects, starts the heartbeat and starts taking jobs. */
  async start(): Promise<void> {
    const r = this.options.redis;
    await withTimeout(this.redis.ping(), 10_000, 'Redis does not answer (is it running? is the URL right?)');
    await this.bus.ready();
    this.control.on('message', (_channel: string, text: string) => this.onControl(text));
    await this.control.subscribe(this.keys.control);
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch(() => {}), r.heartbeatMs);
    this.heartbeat.unref();

    this.workerConnection = openRedis(r.url, { name: `worker-${this.id}:bullmq`, blocking: true });
    this.worker = new Worker<RedisJobData, JobOutcome>(this.keys.queueName, (job) => this.process(job), {
      connection: this.workerConnection,
      prefix: r.prefix,
      name: this.id,
      concurrency: this.concurrency,
      lockDuration: r.lockMs,
      stalledInterval: r.stalledIntervalMs,
      maxStalledCount: r.maxStalledCount,
      autorun: false,
    });
    this.worker.on('completed', (job) => this.onCompleted(job));
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('lockRenewalFailed', (ids) => {
      // Another worker may already run these again; stop ours rather than finish it twice.
      for (const id of ids) this.running.get(id)?.controller.abort(new RunAbandoned('the job lock was lost'));
    });
    this.worker.on('error', (error) => {
      console.warn(`latentflow worker ${this.id}: ${error.message}`);
      this.publishUnconfirmedEnds();
    });
    void this.worker.run();
    await this.worker.waitUntilReady();
  }

  /**
   * Stops taking jobs. Gracefully (default) it lets the running jobs finish; with `force` it leaves
   * them, and their locks expire, so another worker re-runs them.
   */
  async close({ force = false } = {}): Promise<void> {
    this.status = 'stopping';
    await this.beat().catch(() => {});
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (force) for (const run of this.running.values()) run.controller.abort(new RunAbandoned('the worker is stopping'));
    await this.worker?.close(force);
    await this.redis.multi().del(this.keys.worker(this.id)).zrem(this.keys.workers, this.id).exec().catch(() => {});
    await this.bus.close();
    await this.queue.close();
    const connections = [this.redis, this.control, ...(this.workerConnection ? [this.workerConnection] : [])];
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  info(): WorkerInfo {
    const currentJobs = [...this.running.keys()];
    return {
      id: this.id,
      kind: 'remote',
      host: os.hostname(),
      pid: process.pid,
      status: this.status === 'stopping' ? 'stopping' : currentJobs.length ? 'busy' : 'idle',
      currentJob: currentJobs[0] ?? null,
      currentJobs,
      concurrency: this.concurrency,
      loadedModels: loadedModels(this.options.host),
      startedAt: this.startedAt,
      lastHeartbeat: Date.now(),
    };
  }

  private async beat(): Promise<void> {
    const info = this.info();
    await this.redis
      .multi()
      .set(this.keys.worker(this.id), JSON.stringify(info), 'PX', this.options.redis.heartbeatMs * 3)
      .zadd(this.keys.workers, info.lastHeartbeat, this.id)
      .exec();
  }

  private onControl(text: string): void {
    let message: ControlMessage;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (message.type !== 'interrupt') return;
    for (const [id, run] of this.running) if (message.runId === null || message.runId === id) run.controller.abort();
  }

  private async process(job: RedisJob): Promise<JobOutcome> {
    const id = job.id!;
    const controller = new AbortController();
    this.running.set(id, { controller, startedAt: Date.now() });
    this.finished.delete(id);
    void this.beat().catch(() => {});
    void this.publishQueue();
    const jobDir = path.join(this.options.workDir, 'jobs', `${id}-${job.attemptsStarted}`);
    const paths = { ...this.options.host.paths, input: path.join(jobDir, 'input') };
    try {
      try {
        await fetchInputBlobs(this.redis, this.keys, job.data.inputs ?? [], paths.input);
      } catch (error) {
        if (error instanceof MissingInputError) throw new UnrecoverableError(error.message);
        throw error;
      }
      // The subgraph types the job brings (a pack this worker may not have), in a registry for this job.
      let host = this.options.host;
      try {
        const registry = registryForJob(host.registry, job.data.subgraphs ?? []);
        if (registry !== host.registry) host = { ...host, registry };
      } catch (error) {
        throw new UnrecoverableError((error as Error).message);
      }
      // Events leave in order; each waits for the files it names to be in Redis.
      let chain: Promise<void> = Promise.resolve();
      let publishFailure: unknown = null;
      const publish = (event: RunEvent) => {
        chain = chain
          .then(async () => this.bus.publishRun({ event: await this.publishFilesOf(event, id), clientId: job.data.clientId, comfyPreviews: comfyPreviews(job.data.extra, 'none') }))
          .catch((error: unknown) => {
            publishFailure ??= error;
          });
      };
      const { outcome, terminal } = await runJob({ id, prompt: job.data.prompt, extra: job.data.extra }, host, { signal: controller.signal, publish, paths });
      await chain;
      if (publishFailure) throw publishFailure; // a fault of ours (Redis, disk): retried with backoff
      if (controller.signal.reason instanceof RunAbandoned) throw controller.signal.reason; // lock lost or stopping: not the user's interrupt
      const outputs: Record<string, UiOutput> = {};
      for (const [node, ui] of Object.entries(outcome.outputs)) outputs[node] = await this.publishFilesOfUi(ui, id);
      this.finished.set(id, { terminal, clientId: job.data.clientId, attempt: job.attemptsStarted });
      return { ...outcome, outputs };
    } finally {
      fs.rmSync(jobDir, { recursive: true, force: true });
      this.running.delete(id);
      void this.beat().catch(() => {});
    }
  }

  private async publishFilesOf(event: RunEvent, runId: string): Promise<RunEvent> {
    if (event.type !== 'executed') return event;
    return { ...event, output: await this.publishFilesOfUi(event.output, runId) };
  }

  /** Publishes the images a ui output names (once each) and returns it with their published names. */
  private async publishFilesOfUi(ui: Record<string, unknown>, runId: string): Promise<Record<string, unknown>> {
    const refs = imageRefsOf(ui);
    for (const ref of refs) {
      const key = refKey(ref);
      if (this.renames.has(key)) continue;
      const root = ref.type === 'output' ? this.options.host.paths.output : this.options.host.paths.temp;
      this.renames.set(key, await publishOutputFile(this.redis, this.keys, root, ref, runId, this.options.redis.fileTtlSeconds));
      if (this.renames.size > MAX_RENAMES) this.renames.delete(this.renames.keys().next().value!);
    }
    return refs.length ? renameImages(ui, (ref) => this.renames.get(refKey(ref)) ?? ref) : ui;
  }

  private onCompleted(job: RedisJob): void {
    const done = this.finished.get(job.id!);
    this.finished.delete(job.id!);
    for (const event of done?.terminal ?? []) this.bus.publishRun({ event, clientId: done!.clientId });
    void this.publishQueue();
  }

  /**
   * Publishes the ends of runs that Redis recorded completed without BullMQ saying so. ioredis sends
   * again every command left unanswered by a dropped connection: when Redis had executed BullMQ's
   * "move to completed" before it went away, the job is completed, but the repeat finds it no longer
   * active and BullMQ reports an error instead of 'completed', so the end held in `finished` would never
   * go out. Runs after each BullMQ error (one sweep at a time); an end is published once, by whichever
   * of this and onCompleted takes it from `finished` first.
   */
  private publishUnconfirmedEnds(): void {
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = (async () => {
      do {
        this.sweepAgain = false;
        for (const id of [...this.finished.keys()]) {
          if (this.running.has(id)) continue;
          const state = await this.queue.getJobState(id).catch(() => null);
          // The attempt Redis recorded: another worker may have run the job again (this one lost its lock).
          const attempt = state === 'completed' ? await this.queue.getJob(id).then((j) => j?.attemptsStarted ?? null, () => null) : null;
          const done = this.finished.get(id);
          if (!done || state === null || state === 'active' || (state === 'completed' && attempt === null)) continue; // published meanwhile, Redis away, or still being recorded
          this.finished.delete(id);
          // Completed by this run: its end. Otherwise its result was not recorded: it runs again, or
          // failed (onFailed says so), or another run's worker publishes the end.
          if (state === 'completed' && attempt === done.attempt) for (const event of done.terminal) this.bus.publishRun({ event, clientId: done.clientId });
        }
      } while (this.sweepAgain);
    })().finally(() => {
      this.sweeping = null;
    });
  }

  private async onFailed(job: Job<RedisJobData, JobOutcome> | undefined, error: Error): Promise<void> {
    if (!job) return;
    this.finished.delete(job.id!);
    // Only a final failure ends the run; otherwise it waits for its retry.
    if ((await job.getState().catch(() => 'unknown')) === 'failed') {
      const message = `the run failed after ${job.attemptsMade} attempt(s): ${error.message}`;
      this.bus.publishRun({
        event: { type: 'execution_error', runId: job.id!, node: null, nodeType: null, message, issues: [] },
        clientId: job.data?.clientId ?? null,
      });
    }
    void this.publishQueue();
  }

  private async publishQueue(): Promise<void> {
    try {
      this.bus.publishQueue(await queueStateOf(this.queue));
    } catch {
      // Redis is away; the next change publishes again
    }
  }
}
