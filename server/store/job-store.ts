/**
 * The embedded queue and history: jobs in a SQLite database (`<data>/latentflow.db`, better-sqlite3).
 * A job is queued, then running, then finished (success, error or interrupted). Killing the process
 * loses nothing: on open, jobs left `running` by a dead process go back to the queue to run again
 * (at most `maxAttempts` times in all; after that they are marked interrupted with a reason).
 *
 * Opening the store takes the data folder's lock (data-lock.ts: a second server on the same folder
 * would re-run this one's running job) and checks the database (`PRAGMA quick_check`): a damaged file
 * stops the start with a message naming it and the way out, and is never replaced or emptied.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';

import { type ExecutionGraph, type JobError, jobError, type JobStatus, readJobError, type UiOutput } from '../../protocol/index.ts';
import { StartupError } from '../config.ts';
import { RunExistsError } from '../jobs/queue.ts';
import { DataFolderLock } from './data-lock.ts';
import { isDatabaseDamaged } from './storage-errors.ts';

/** The job database is damaged: the server does not start, and leaves the file as it is. */
export class DatabaseDamagedError extends StartupError {
  override name = 'DatabaseDamagedError';
  constructor(readonly file: string, readonly problem: string) {
    super(
      `the job database ${file} is damaged (${problem}). latentflow did not start and changed nothing. ` +
        `Restore the file from a backup, or move it aside to start with an empty queue and history ` +
        `(the jobs in it are then no longer listed): mv ${file} ${file}.damaged` +
        ` (with its -wal and -shm files, if there are any).`,
    );
  }
}

/** Opens the job database and checks it; a damaged file is a DatabaseDamagedError, never a stack trace. */
function openDatabase(file: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file);
    // quick_check reads every page of every table and index (not the index contents): a damaged inner
    // page or header is found here, not by the first request that reads it.
    const rows = db.pragma('quick_check(20)') as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
    if (problems.length) throw new DatabaseDamagedError(file, `quick_check: ${problems.join('; ').slice(0, 500)}`);
    return db;
  } catch (error) {
    db?.close();
    if (isDatabaseDamaged(error)) throw new DatabaseDamagedError(file, (error as Error).message);
    throw error;
  }
}

export type { JobStatus };

export interface JobRecord {
  id: string;
  /** Monotonic queue number (ComfyUI's "number"); `front` jobs get a negative one and run first. */
  number: number;
  status: JobStatus;
  /** The workflow as it runs: parsed and validated when it was queued. */
  prompt: ExecutionGraph;
  /** Extra data stored with the job (ComfyUI's extra_data: extra_pnginfo.workflow, client_id). */
  extra: Record<string, unknown>;
  clientId: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  attempts: number;
  /** Output node id -> what it showed. */
  outputs: Record<string, UiOutput> | null;
  error: JobError | null;
  /** Ids of the output nodes to run (null: all). */
  outputNodeIds: string[] | null;
  /** The worker that runs or ran it (remote workers; the embedded store leaves it out). */
  workerId?: string | null;
}

interface Row {
  id: string;
  number: number;
  status: JobStatus;
  prompt: string;
  extra: string;
  client_id: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  attempts: number;
  outputs: string | null;
  error: string | null;
  output_node_ids: string | null;
}

function fromRow(row: Row): JobRecord {
  return {
    id: row.id,
    number: row.number,
    status: row.status,
    prompt: JSON.parse(row.prompt),
    extra: JSON.parse(row.extra),
    clientId: row.client_id,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    attempts: row.attempts,
    outputs: row.outputs ? JSON.parse(row.outputs) : null,
    error: row.error ? readJobError(JSON.parse(row.error)) : null,
    outputNodeIds: row.output_node_ids ? JSON.parse(row.output_node_ids) : null,
  };
}

export interface EnqueueRequest {
  prompt: ExecutionGraph;
  extra?: Record<string, unknown>;
  clientId?: string | null;
  front?: boolean;
  outputNodeIds?: string[] | null;
  id?: string;
}

export class JobStore {
  private readonly db: Database.Database;
  private readonly lock: DataFolderLock;
  readonly maxAttempts: number;

  constructor(dataDir: string, { maxAttempts = 2 } = {}) {
    fs.mkdirSync(dataDir, { recursive: true });
    this.lock = DataFolderLock.acquire(dataDir);
    this.maxAttempts = maxAttempts;
    let db: Database.Database | undefined;
    try {
      db = openDatabase(path.join(dataDir, 'latentflow.db'));
      this.db = db;
      this.setUp();
    } catch (error) {
      // A store that did not open gives the lock back (the recovery can fail too, on a full disk).
      if (db?.open) db.close();
      this.lock.release();
      throw error;
    }
  }

  private setUp(): void {
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        number INTEGER NOT NULL,
        status TEXT NOT NULL,
        prompt TEXT NOT NULL,
        extra TEXT NOT NULL,
        client_id TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        outputs TEXT,
        error TEXT,
        output_node_ids TEXT
      );
      CREATE INDEX IF NOT EXISTS jobs_status_number ON jobs (status, number);
      CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at);
    `);
    this.recoverAbandoned();
  }

  close(): void {
    this.db.close();
    this.lock.release();
  }

  /** Jobs a dead process left running: re-queue them, or give up after maxAttempts. */
  private recoverAbandoned(): void {
    const abandoned = this.db.prepare(`SELECT * FROM jobs WHERE status = 'running'`).all() as Row[];
    for (const row of abandoned) {
      if (row.attempts < this.maxAttempts) {
        this.db.prepare(`UPDATE jobs SET status = 'queued', started_at = NULL WHERE id = ?`).run(row.id);
      } else {
        const error = jobError('abandoned', `the server stopped while this job was running, ${row.attempts} times; it was not retried again`, { attempts: row.attempts });
        this.db
          .prepare(`UPDATE jobs SET status = 'interrupted', finished_at = ?, error = ? WHERE id = ?`)
          .run(Date.now(), JSON.stringify(error), row.id);
      }
    }
  }

  /** Queues a job; a given id that is taken is a RunExistsError. */
  enqueue(request: EnqueueRequest): JobRecord {
    const id = request.id ?? randomUUID();
    const insert = this.db.transaction(() => {
      if (this.db.prepare(`SELECT 1 FROM jobs WHERE id = ?`).get(id)) throw new RunExistsError(id);
      const { hi, lo } = this.db.prepare(`SELECT MAX(number) AS hi, MIN(number) AS lo FROM jobs`).get() as { hi: number | null; lo: number | null };
      const number = request.front ? Math.min(lo ?? 0, 0) - 1 : (hi ?? 0) + 1;
      this.db
        .prepare(
          `INSERT INTO jobs (id, number, status, prompt, extra, client_id, created_at, output_node_ids)
           VALUES (?, ?, 'queued', ?, ?, ?, ?, ?)`,
        )
        .run(id, number, JSON.stringify(request.prompt), JSON.stringify(request.extra ?? {}), request.clientId ?? null, Date.now(),
          request.outputNodeIds ? JSON.stringify(request.outputNodeIds) : null);
    });
    insert();
    return this.get(id)!;
  }

  get(id: string): JobRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Atomically takes the next queued job (lowest number) and marks it running. */
  claimNext(): JobRecord | undefined {
    const claim = this.db.transaction(() => {
      const row = this.db.prepare(`SELECT * FROM jobs WHERE status = 'queued' ORDER BY number LIMIT 1`).get() as Row | undefined;
      if (!row) return undefined;
      this.db.prepare(`UPDATE jobs SET status = 'running', started_at = ?, attempts = attempts + 1 WHERE id = ?`).run(Date.now(), row.id);
      return row.id;
    });
    const id = claim();
    return id === undefined ? undefined : this.get(id);
  }

  finish(id: string, status: Exclude<JobStatus, 'queued' | 'running'>, result: { outputs?: Record<string, UiOutput>; error?: JobError }): JobRecord | undefined {
    this.db
      .prepare(`UPDATE jobs SET status = ?, finished_at = ?, outputs = ?, error = ? WHERE id = ?`)
      .run(status, Date.now(), result.outputs ? JSON.stringify(result.outputs) : null, result.error ? JSON.stringify(result.error) : null, id);
    return this.get(id);
  }

  /** Queued and running jobs, in run order. */
  pending(): JobRecord[] {
    return (this.db.prepare(`SELECT * FROM jobs WHERE status IN ('queued', 'running') ORDER BY status = 'queued', number`).all() as Row[]).map(fromRow);
  }

  /** Finished jobs, newest first. */
  history({ offset = 0, limit = 50 }: { offset?: number; limit?: number } = {}): { total: number; jobs: JobRecord[] } {
    const { total } = this.db.prepare(`SELECT COUNT(*) AS total FROM jobs WHERE finished_at IS NOT NULL`).get() as { total: number };
    const rows = this.db
      .prepare(`SELECT * FROM jobs WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, number DESC LIMIT ? OFFSET ?`)
      .all(limit, offset) as Row[];
    return { total, jobs: rows.map(fromRow) };
  }

  /** Removes a queued job; returns false if it is not queued (running or finished jobs stay). */
  removeQueued(id: string): boolean {
    return this.db.prepare(`DELETE FROM jobs WHERE id = ? AND status = 'queued'`).run(id).changes > 0;
  }

  clearQueued(): number {
    return this.db.prepare(`DELETE FROM jobs WHERE status = 'queued'`).run().changes;
  }

  deleteHistory(ids?: string[]): number {
    if (!ids) return this.db.prepare(`DELETE FROM jobs WHERE finished_at IS NOT NULL`).run().changes;
    const del = this.db.prepare(`DELETE FROM jobs WHERE id = ? AND finished_at IS NOT NULL`);
    let n = 0;
    for (const id of ids) n += del.run(id).changes;
    return n;
  }
}
