/**
 * Our run API: queue a workflow (any form, with overrides), job status, queue, history (/api/runs/history),
 * delete a queued job. Interrupt is ComfyUI's route (comfy.ts), which takes our body too.
 */
import { Router } from 'express';
import type { z } from 'zod';

import {
  type HistoryPage,
  type JobView,
  type QueuedRun,
  queueRunRequestSchema,
  type RunsListing,
  TERMINAL_EVENTS,
} from '../../protocol/index.ts';
import { prepareWorkflow } from '../jobs/submit.ts';
import type { JobRecord } from '../store/job-store.ts';
import type { ApiContext } from './context.ts';
import { capIssues, HttpError } from './errors.ts';

/** A job as the API shows it (the workflow itself is left out of listings; GET /api/runs/:id has it). */
export function jobView(job: JobRecord, { withPrompt = false } = {}): JobView {
  return {
    id: job.id,
    number: job.number,
    status: job.status,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    attempts: job.attempts,
    worker: job.workerId ?? null,
    outputs: job.outputs,
    error: job.error,
    ...(withPrompt ? { prompt: job.prompt, extra: job.extra } : {}),
  };
}

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new HttpError(400, 'bad_request', `request body: ${first.path.join('.') || '(root)'}: ${first.message}`, capIssues(parsed.error.issues));
  }
  return parsed.data;
}

/** Queues a prepared workflow; returns the job. Throws InvalidWorkflowError (400) with every issue. */
export async function queueWorkflow(ctx: ApiContext, request: z.infer<typeof queueRunRequestSchema>): Promise<JobRecord> {
  const prepared = prepareWorkflow(ctx.host, request.workflow, request.overrides, { runsHere: ctx.queue.kind === 'embedded' });
  return ctx.queue.enqueue({
    prompt: prepared.prompt,
    extra: {
      ...(prepared.saved ? { extra_pnginfo: { workflow: prepared.saved } } : {}),
      preview_method: ctx.options.previewMethod,
    },
    clientId: request.clientId ?? null,
    front: request.front,
  });
}

/**
 * Resolves when the job has finished (or the timeout passes): on its last event, with a slow poll
 * besides, so a missed event (a Redis reconnect) only delays the answer.
 */
export function waitForJob(ctx: ApiContext, id: string, timeoutMs: number): Promise<JobRecord> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const check = async () => {
      if (settled) return;
      const job = await ctx.queue.get(id);
      if (!job || job.finishedAt !== null || Date.now() >= deadline) finish(job);
    };
    const finish = (job: JobRecord | undefined) => {
      if (settled) return;
      settled = true;
      clearInterval(poll);
      off();
      if (job) resolve(job);
      else reject(new HttpError(404, 'not_found', `run "${id}" was removed while waiting for it`));
    };
    const deadline = Date.now() + timeoutMs;
    const off = ctx.bus.onRun(({ event }) => {
      if (event.runId === id && TERMINAL_EVENTS.has(event.type)) void check().catch(reject);
    });
    const poll = setInterval(() => void check().catch(reject), Math.min(1000, timeoutMs));
    void check().catch(reject);
  });
}

export function runsRouter(ctx: ApiContext): Router {
  const router = Router();

  router.post('/api/runs', async (req, res) => {
    const request = parseBody(queueRunRequestSchema, req.body);
    const job = await queueWorkflow(ctx, request);
    res.status(202).json({ id: job.id, number: job.number } satisfies QueuedRun);
  });

  router.get('/api/runs', async (_req, res) => {
    const pending = await ctx.queue.pending();
    res.json({
      running: pending.filter((j) => j.status === 'running').map((j) => jobView(j)),
      queued: pending.filter((j) => j.status === 'queued').map((j) => jobView(j)),
    } satisfies RunsListing);
  });

  // (POST /api/interrupt is ComfyUI's /interrupt under /api/, which also takes our { runId }: comfy.ts.)
  // Our paged history; GET /api/history is ComfyUI's (every ComfyUI route answers under /api/ too).
  router.get('/api/runs/history', async (req, res) => {
    const offset = Math.max(0, Number(req.query.offset ?? 0) || 0);
    const limit = Math.min(200, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const { total, jobs } = await ctx.queue.history({ offset, limit });
    res.json({ total, offset, limit, jobs: jobs.map((j) => jobView(j)) } satisfies HistoryPage);
  });

  router.get('/api/runs/:id', async (req, res) => {
    const job = await ctx.queue.get(req.params.id);
    if (!job) throw new HttpError(404, 'not_found', `there is no run "${req.params.id}"`);
    res.json(jobView(job, { withPrompt: true }));
  });

  router.delete('/api/runs/:id', async (req, res) => {
    const job = await ctx.queue.get(req.params.id);
    if (!job) throw new HttpError(404, 'not_found', `there is no run "${req.params.id}"`);
    if (job.status === 'running') {
      await ctx.queue.interrupt(job.id);
      res.json({ interrupted: true });
      return;
    }
    if (!(await ctx.queue.removeQueued(job.id))) throw new HttpError(409, 'not_queued', `run "${job.id}" has already started or finished`);
    res.json({ deleted: true });
  });

  return router;
}

