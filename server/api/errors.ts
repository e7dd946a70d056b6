/**
 * The one place that maps errors to HTTP answers. Routes throw (or pass to next) and never format
 * errors themselves: `classifyError` decides status, code, message and issues once; two formatters
 * write them out, ours (`{ error: { code, message, issues?, details? } }`, protocol's ErrorAnswer) and
 * ComfyUI's (`{ error: { type, message, details, extra_info }, node_errors }`) for its routes.
 */
import type { NextFunction, Request, Response } from 'express';

import { SubgraphError } from '../../nodes/packs/subgraph-error.ts';
import { type ErrorAnswer, InvalidWorkflowError, type Issue } from '../../protocol/index.ts';
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

/** What an error means over HTTP, before either formatter writes it. */
export interface ClassifiedError {
  status: number;
  code: string;
  message: string;
  issues?: Issue[];
  issuesOmitted?: number;
  details?: Record<string, unknown>;
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

/** Error -> HTTP status, code, message and issues. Unknown errors are 500 with a generic message (logged by the caller). */
export function classifyError(error: unknown): ClassifiedError {
  const e = error as { status?: number; type?: string; code?: string; message?: string };
  if (error instanceof HttpError) return { status: error.status, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  if (error instanceof InvalidWorkflowError) return { status: 400, code: 'invalid_workflow', message: error.message, ...capIssues(error.issues) };
  if (error instanceof QueueUnavailableError) return { status: 503, code: 'queue_unavailable', message: error.message };
  if (error instanceof RunExistsError) return { status: 409, code: 'exists', message: error.message, details: { runId: error.runId } };
  if (isDiskFull(error)) return { status: 507, code: 'disk_full', message: DISK_FULL_MESSAGE };
  if (isDatabaseDamaged(error)) {
    return { status: 500, code: 'database_damaged', message: 'the job database is damaged: restart the server, which checks it and says how to recover' };
  }
  if (typeof e?.code === 'string' && PATH_ERRNOS.has(e.code)) return { status: 400, code: 'bad_path', message: `the name given cannot be used as a file name here (${e.code})` };
  if (error instanceof PathError) return { status: 400, code: 'bad_path', message: error.message, details: { parameter: error.what } };
  if (error instanceof StaleRevisionError) return { status: 409, code: 'stale_revision', message: error.message, details: { expected: error.expected, actual: error.actual } };
  if (error instanceof SubgraphError) return { status: error.issue.code === 'node_type_duplicate' ? 409 : 400, code: error.issue.code, message: error.message, issues: [error.issue] };
  if (error instanceof WorkflowExistsError) return { status: 409, code: 'exists', message: error.message };
  if (error instanceof WorkflowNotFoundError) return { status: 404, code: 'not_found', message: error.message };
  // body-parser errors
  if (e?.type === 'entity.too.large') return { status: 413, code: 'too_large', message: 'request body is larger than the server accepts' };
  if (e?.type === 'entity.parse.failed') return { status: 400, code: 'bad_json', message: 'request body is not valid JSON' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return { status: e.status, code: 'bad_request', message: e.message ?? 'bad request' };
  return { status: 500, code: 'internal', message: 'internal server error (see the server log)' };
}

/** Our answer: `{ error: { code, message, issues?, details? } }`. */
export function answerFor(error: unknown): { status: number; body: ErrorAnswer } {
  const { status, code, message, issues, issuesOmitted, details } = classifyError(error);
  return { status, body: { error: { code, message, ...(issues ? { issues } : {}), ...(issuesOmitted ? { issuesOmitted } : {}), ...(details ? { details } : {}) } } };
}

/**
 * ComfyUI's answer (its server.py `/prompt`): `error.type` is ComfyUI's `prompt_outputs_failed_validation`
 * when issues name nodes, `invalid_prompt` for other invalid workflows, else our code; `node_errors`
 * keys each issue by node: `{ errors: [{ type, message, details, extra_info }], dependent_outputs, class_type }`.
 * `prompt` (the request's) gives a node's class_type when its issue does not.
 */
export function comfyAnswerFor(error: unknown, prompt?: unknown): { status: number; body: Record<string, unknown> } {
  const { status, code, message, issues = [], issuesOmitted, details } = classifyError(error);
  const nodeFailure = issues.some((i) => i.nodeId);
  const type = code !== 'invalid_workflow' ? code : nodeFailure ? 'prompt_outputs_failed_validation' : 'invalid_prompt';
  return {
    status,
    body: {
      error: { type, message: nodeFailure ? 'Prompt outputs failed validation' : message, details: message, extra_info: { ...details, ...(issuesOmitted ? { issues_omitted: issuesOmitted } : {}) } },
      node_errors: comfyNodeErrors(issues, prompt),
    },
  };
}

/**
 * Keyed by the client's node ids, so a null-prototype object: an id such as "constructor" or "__proto__" is
 * a key like any other.
 */
function comfyNodeErrors(issues: Issue[], prompt: unknown): Record<string, { errors: unknown[]; dependent_outputs: string[]; class_type: string }> {
  const errors: Record<string, { errors: unknown[]; dependent_outputs: string[]; class_type: string }> = Object.create(null);
  const classTypeOf = (id: string): string => {
    const node = prompt !== null && typeof prompt === 'object' && Object.hasOwn(prompt, id) ? (prompt as Record<string, unknown>)[id] : undefined;
    const type = node !== null && typeof node === 'object' ? (node as { class_type?: unknown }).class_type : undefined;
    return typeof type === 'string' ? type : '';
  };
  for (const issue of issues) {
    if (!issue.nodeId) continue;
    const classType = issue.nodeType ?? classTypeOf(issue.nodeId);
    errors[issue.nodeId] ??= { errors: [], dependent_outputs: [], class_type: classType };
    errors[issue.nodeId].errors.push({ type: issue.code, message: issue.message, details: issue.input ? `${issue.input}` : '', extra_info: { input_name: issue.input, ...issue.details } });
  }
  return errors;
}

/** Where failed requests are logged by default. */
export function logToConsole(message: string, error: unknown): void {
  console.error(`latentflow: ${message}:`, error);
}

/**
 * Express error middleware writing `format`'s answer (ComfyUI's routes use 'comfy'). 5xx errors other
 * than 503 are logged; a 503 says when to retry.
 */
export function errorHandler(format: 'ours' | 'comfy' = 'ours', log: (message: string, error: unknown) => void = logToConsole) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const answer = format === 'comfy' ? comfyAnswerFor(error, (req.body as { prompt?: unknown } | undefined)?.prompt) : answerFor(error);
    if (answer.status >= 500 && answer.status !== 503) log('request failed', error);
    if (res.headersSent) return;
    if (answer.status === 503) res.setHeader('retry-after', '5');
    res.status(answer.status).json(answer.body);
  };
}
