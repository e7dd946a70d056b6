/**
 * ComfyUI's HTTP API, so existing ComfyUI clients work unchanged: /prompt, /queue, /history,
 * /interrupt (and /view, /upload/image, /object_info, /system_stats in their own modules).
 * Payload shapes follow ComfyUI's server.py.
 */
import { Router } from 'express';

import { promptRequestSchema } from '../../protocol/index.ts';
import { prepareWorkflow } from '../jobs/submit.ts';
import type { JobRecord } from '../store/job-store.ts';
import type { ApiContext } from './context.ts';
import { errorHandler } from './errors.ts';
import { parseBody } from './runs.ts';

/** ComfyUI's queue item: [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
function queueItem(job: JobRecord): unknown[] {
  const outputs = job.outputNodeIds ?? [];
  return [job.number, job.id, job.prompt, { ...job.extra, client_id: job.clientId ?? undefined }, outputs];
}

export function historyEntry(job: JobRecord) {
  const messages = job.error?.messages ?? [];
  return {
    prompt: queueItem(job),
    outputs: job.outputs ?? {},
    status: {
      status_str: job.status === 'success' ? 'success' : 'error',
      completed: job.status === 'success',
      messages,
    },
    meta: {},
  };
}

export function comfyRouter(ctx: ApiContext): Router {
  const router = Router();

  router.get('/prompt', async (_req, res) => {
    res.json({ exec_info: { queue_remaining: (await ctx.queue.pending()).length } });
  });

  router.post('/prompt', async (req, res) => {
    const body = parseBody(promptRequestSchema, req.body);
    // ComfyUI clients send the execution form; a saved-form workflow for the PNG rides in extra_pnginfo.
    // An invalid one is answered by the error handler below, in ComfyUI's shape (node_errors).
    const prepared = prepareWorkflow(ctx.host, body.prompt, {}, { runsHere: ctx.queue.kind === 'embedded' });
    const job = await ctx.queue.enqueue({
      id: body.prompt_id,
      prompt: prepared.prompt,
      extra: body.extra_data ?? {},
      clientId: body.client_id ?? null,
      front: body.front,
    });
    res.json({ prompt_id: job.id, number: job.number, node_errors: {} });
  });

  router.get('/queue', async (_req, res) => {
    const pending = await ctx.queue.pending();
    res.json({
      queue_running: pending.filter((j) => j.status === 'running').map(queueItem),
      queue_pending: pending.filter((j) => j.status === 'queued').map(queueItem),
    });
  });

  router.post('/queue', async (req, res) => {
    const body = (req.body ?? {}) as { clear?: boolean; delete?: unknown };
    if (body.clear === true) await ctx.queue.clearQueued();
    if (Array.isArray(body.delete)) for (const id of body.delete) if (typeof id === 'string') await ctx.queue.removeQueued(id);
    res.status(200).end();
  });

  router.get('/history', async (req, res) => {
    const maxItems = req.query.max_items === undefined ? 200 : Math.max(1, Math.min(10_000, Number(req.query.max_items) || 200));
    const { jobs } = await ctx.queue.history({ limit: maxItems });
    const out: Record<string, unknown> = Object.create(null);
    for (const job of jobs.reverse()) out[job.id] = historyEntry(job);
    res.json(out);
  });

  router.get('/history/:id', async (req, res) => {
    const job = await ctx.queue.get(req.params.id);
    res.json(job && job.finishedAt !== null ? { [job.id]: historyEntry(job) } : {});
  });

  router.post('/history', async (req, res) => {
    const body = (req.body ?? {}) as { clear?: boolean; delete?: unknown };
    if (body.clear === true) await ctx.queue.deleteHistory();
    if (Array.isArray(body.delete)) await ctx.queue.deleteHistory(body.delete.filter((id): id is string => typeof id === 'string'));
    res.status(200).end();
  });

  router.post('/interrupt', async (req, res) => {
    // Newer ComfyUI clients name the run ({ prompt_id }); without it every running job stops.
    const runId = typeof req.body?.prompt_id === 'string' ? req.body.prompt_id : undefined;
    await ctx.queue.interrupt(runId);
    res.status(200).end();
  });

  router.use(errorHandler('comfy'));
  return router;
}
