/**
 * The one place that maps errors to HTTP answers. Routes throw (or pass to next) and never format
 * errors themselves. Every answer body is `{ error: { code, message, issues?, details? } }`.
 */
import type { NextFunction, Request, Response } from 'express';

import { SubgraphError } from '../../nodes/packs/issues.ts';
import { QueueUnavailableError, RunExistsError } from '../jobs/queue.ts';
import { PathError } from '../store/paths.ts';
import { DISK_FULL_MESSAGE, isDatabaseDamaged, isDiskFull } from '../store/storage-errors.ts';
import { StaleRevisionError, WorkflowExistsError, WorkflowNotFoundError } from '../store/workflow-store.ts';

export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

interface ErrorAnswer {
  status: number;
  body: { error: { code: string; message: string; issues?: unknown[]; issuesOmitted?: number; details?: Record<string, unknown> } };
}

/**
 * Most issues one answer lists: a 60,000-node graph could otherwise get an answer of megabytes. The rest
 * are counted (`issuesOmitted`); the first ones are enough to mark nodes and to act on.
 */
export const MAX_ISSUES = 100;

/** The first MAX_ISSUES issues and how many were left out. */
export function capIssues<T>(issues: readonly T[]): { issues: T[]; issuesOmitted?: number } {
  return issues.length > MAX_ISSUES ? { issues: issues.slice(0, MAX_ISSUES), issuesOmitted: issues.length - MAX_ISSUES } : { issues: [...issues] };
}

/** File-system errors a client's name causes (too long in bytes, a file where a folder should be, a link loop). */
const PATH_ERRNOS = new Set(['ENAMETOOLONG', 'ENOTDIR', 'ELOOP', 'EISDIR']);

/** Error -> HTTP status and body. Unknown errors are 500 with a generic message (logged by the caller). */
export function answerFor(error: unknown): ErrorAnswer {
  const e = error as { status?: number; statusCode?: number; type?: string; issues?: unknown[]; code?: string; message?: string };
  if (error instanceof HttpError) {
    return { status: error.status, body: { error: { code: error.code, message: error.message, details: error.details } } };
  }
  if (error instanceof QueueUnavailableError) return { status: 503, body: { error: { code: 'queue_unavailable', message: error.message } } };
  if (error instanceof RunExistsError) return { status: 409, body: { error: { code: 'exists', message: error.message, details: { runId: error.runId } } } };
  if (isDiskFull(error)) return { status: 507, body: { error: { code: 'disk_full', message: DISK_FULL_MESSAGE } } };
  if (isDatabaseDamaged(error)) {
    return { status: 500, body: { error: { code: 'database_damaged', message: 'the job database is damaged: restart the server, which checks it and says how to recover' } } };
  }
  if (typeof e?.code === 'string' && PATH_ERRNOS.has(e.code)) {
    return { status: 400, body: { error: { code: 'bad_path', message: `the name given cannot be used as a file name here (${e.code})` } } };
  }
  if (error instanceof PathError) return { status: 400, body: { error: { code: 'bad_path', message: error.message, details: { parameter: error.what } } } };
  if (error instanceof StaleRevisionError) {
    return { status: 409, body: { error: { code: 'stale_revision', message: error.message, details: { expected: error.expected, actual: error.actual } } } };
  }
  if (error instanceof SubgraphError) {
    const status = error.issue.code === 'node_type_duplicate' ? 409 : 400;
    return { status, body: { error: { code: error.issue.code, message: error.message, issues: [error.issue] } } };
  }
  if (error instanceof WorkflowExistsError) return { status: 409, body: { error: { code: 'exists', message: error.message } } };
  if (error instanceof WorkflowNotFoundError) return { status: 404, body: { error: { code: 'not_found', message: error.message } } };
  if (Array.isArray(e?.issues)) {
    return { status: 400, body: { error: { code: 'invalid_workflow', message: e.message ?? 'the workflow is not valid', ...capIssues(e.issues) } } };
  }
  // body-parser errors
  if (e?.type === 'entity.too.large') return { status: 413, body: { error: { code: 'too_large', message: 'request body is larger than the server accepts' } } };
  if (e?.type === 'entity.parse.failed') return { status: 400, body: { error: { code: 'bad_json', message: 'request body is not valid JSON' } } };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, body: { error: { code: 'bad_request', message: e.message ?? 'bad request' } } };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal server error (see the server log)' } } };
}

export function errorHandler(log: (message: string, error: unknown) => void) {
  return (error: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const answer = answerFor(error);
    if (answer.status >= 500 && answer.status !== 503) log('request failed', error);
    if (res.headersSent) return;
    if (answer.status === 503) res.setHeader('retry-after', '5');
    res.status(answer.status).json(answer.body);
  };
}
