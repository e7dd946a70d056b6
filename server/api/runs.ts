/**
 * Our run API: queue a workflow (either form, with overrides), job status, queue, history,
 * interrupt, delete a queued job.
 */
import { Router } from 'express';
import { z } from 'zod';

import { InvalidWorkflowError, prepareWorkflow } from '../jobs/submit.ts';
import type { JobRecord } from '../store/job-store.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';

export const queueRequestSchema = z.object({
  workflow: z.unknown(),
  overrides: z.record(z.string(), z.unknown()).optional(),
  clientId: z.string().max(200).optional(),
  front: z.boolean().optional(),
});

/** A job as the API shows it (the workflow itself is left out of listings; GET /api/runs/:id has it). */
export function jobView(job: JobRecord, { withPrompt = false } = {}) {
  return {
    id: job.id,
    number: job.number,
    status: job.status,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    attempts: job.attempts,
    outputs: job.outputs,
    error: job.error,
    ...(withPrompt ? { prompt: job.prompt, extra: job.extra } : {}),
  };
}

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HttpError(400, 'bad_request', `request body: ${first.path.join('.') || '(root)'}: ${first.message}`, { issues: parsed.error.issues });
  }
  return parsed.data;
}

/** Queues a prepared workflow; returns the job. Throws InvalidWorkflowError (400) with every issue. */
export function queueWorkflow(ctx: ApiContext, request: z.infer<typeof queueRequestSchema>): JobRecord {
  const prepared = prepareWorkflow(ctx.host, request.workflow, request.overrides);
  const job = ctx.jobs.enqueue({
    prompt: prepared.prompt,
    extra: prepared.saved ? { extra_pnginfo: { workflow: prepared.saved } } : {},
    clientId: request.clientId ?? null,
    front: request.front,
  });
  ctx.bus.publishRun({ event: { type: 'queued', runId: job.id, position: ctx.jobs.pending().filter((j) => j.status === 'queued').length - 1 }, clientId: job.clientId });
  ctx.executor.notify();
  return job;
}

/** Resolves when the job has finished (or the timeout passes). */
export function waitForJob(ctx: ApiContext, id: string, timeoutMs: number): Promise<JobRecord> {
  return new Promise((resolve) => {
    const done = () => {
      const job = ctx.jobs.get(id)!;
      return job.finishedAt !== null ? job : null;
    };
    const now = done();
    if (now) return resolve(now);
    const timer = setTimeout(() => {
      off();
      resolve(ctx.jobs.get(id)!);
    }, timeoutMs);
    const off = ctx.bus.onQueue(() => {
      const finished = done();
      if (finished) {
        clearTimeout(timer);
        off();
        resolve(finished);
      }
    });
  });
}

export function runsRouter(ctx: ApiContext): Router {
  const router = Router();

  router.post('/api/runs', (req, res) => {
    const request = parseBody(queueRequestSchema, req.body);
    const job = queueWorkflow(ctx, request);
    res.status(202).json({ id: job.id, number: job.number });
  });

  router.get('/api/runs', (_req, res) => {
    const pending = ctx.jobs.pending();
    res.json({
      running: pending.filter((j) => j.status === 'running').map((j) => jobView(j)),
      queued: pending.filter((j) => j.status === 'queued').map((j) => jobView(j)),
    });
  });

  router.get('/api/runs/:id', (req, res) => {
    const job = ctx.jobs.get(req.params.id);
    if (!job) throw new HttpError(404, 'not_found', `there is no run "${req.params.id}"`);
    res.json(jobView(job, { withPrompt: true }));
  });

  router.delete('/api/runs/:id', (req, res) => {
    const job = ctx.jobs.get(req.params.id);
    if (!job) throw new HttpError(404, 'not_found', `there is no run "${req.params.id}"`);
    if (job.status === 'running') {
      ctx.executor.interrupt(job.id);
      res.json({ interrupted: true });
      return;
    }
    if (!ctx.jobs.removeQueued(job.id)) throw new HttpError(409, 'not_queued', `run "${job.id}" has already finished`);
    ctx.executor.publishQueue();
    res.json({ deleted: true });
  });

  router.post('/api/interrupt', (req, res) => {
    const runId = typeof req.body?.runId === 'string' ? req.body.runId : undefined;
    res.json({ interrupted: ctx.executor.interrupt(runId) });
  });

  router.get('/api/history', (req, res) => {
    const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
    const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const { total, jobs } = ctx.jobs.history({ offset, limit });
    res.json({ total, offset, limit, jobs: jobs.map((j) => jobView(j)) });
  });

  return router;
}

export { InvalidWorkflowError };
