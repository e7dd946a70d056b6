/**
 * Jobs: a queued run as both queues (the embedded SQLite queue and the Redis/BullMQ queue) record it,
 * and how it ended. One JobError shape, whatever queue and whatever went wrong, so a client reads a
 * failed run the same way everywhere.
 *
 * @example
 *   if (job.status === 'error') for (const issue of job.error!.issues) mark(issue.nodeId, issue.input);
 */
import { z } from 'zod';

import { issueSchema } from './issues.ts';

export const JOB_STATUSES = ['queued', 'running', 'success', 'error', 'interrupted'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Why a job did not succeed.
 * - `run_failed`: the workflow did not validate at run time, or a node failed (issues say which)
 * - `interrupted`: the user interrupted it
 * - `abandoned`: the process running it stopped, more times than it is retried (embedded queue)
 * - `worker_failed`: the worker failed outside the run (Redis, disk) on every attempt (Redis queue)
 * - `no_outcome`: the worker finished it without saying how (Redis queue)
 * - `internal`: a bug of ours outside any node
 */
export const JOB_ERROR_CODES = ['run_failed', 'interrupted', 'abandoned', 'worker_failed', 'no_outcome', 'internal'] as const;
export type JobErrorCode = (typeof JOB_ERROR_CODES)[number];

/** A milestone of the run as ComfyUI's history keeps it (`status.messages`): `[event type, event]`. */
export const milestoneSchema = z.tuple([z.string(), z.record(z.string(), z.unknown())]);
export type Milestone = z.infer<typeof milestoneSchema>;

export const jobErrorSchema = z.object({
  code: z.enum(JOB_ERROR_CODES),
  /** One sentence for a person (the first issue's message when there are issues). */
  message: z.string(),
  /** What failed, located (empty when nothing is to blame on the workflow). */
  issues: z.array(issueSchema),
  /** The run's milestones up to its end (execution_start ... execution_error / execution_interrupted). */
  messages: z.array(milestoneSchema),
  /** Attempts made, when the queue retried it. */
  attempts: z.number().int().optional(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

/** A JobError from its parts (issues and milestones default to none). */
export function jobError(code: JobErrorCode, message: string, extra: Partial<Pick<JobError, 'issues' | 'messages' | 'attempts'>> = {}): JobError {
  return { code, message, issues: extra.issues ?? [], messages: extra.messages ?? [], ...(extra.attempts !== undefined ? { attempts: extra.attempts } : {}) };
}

/**
 * A stored job error as a JobError. Records written before the shape was fixed (no `code`, no
 * `issues` or `messages`) are read with those filled in; anything else unreadable becomes `internal`.
 */
export function readJobError(stored: unknown): JobError | null {
  if (stored === null || stored === undefined) return null;
  const value = (typeof stored === 'object' ? stored : { message: String(stored) }) as Record<string, unknown>;
  const legacyCode = value.message === 'interrupted by the user' ? 'interrupted' : 'run_failed';
  const parsed = jobErrorSchema.safeParse({ issues: [], messages: [], code: legacyCode, ...value });
  return parsed.success ? parsed.data : jobError('internal', typeof value.message === 'string' ? value.message : 'the job failed');
}
