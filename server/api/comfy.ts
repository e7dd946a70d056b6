/**
 * ComfyUI's HTTP API, so existing ComfyUI clients work unchanged: /prompt, /queue, /history,
 * /interrupt (and /view, /upload/image, /object_info, /system_stats, the frontend's routes in
 * comfy-frontend.ts, in their own modules). Each also answers under /api/ (comfy-prefix.ts).
 * Payload shapes follow ComfyUI's server.py.
 */
import { Router } from 'express';

import { interruptRequestSchema, promptRequestSchema } from '../../protocol/index.ts';
import { previewMethodOf } from '../jobs/preview-method.ts';
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
    // ComfyUI clients send the execution form; the drawn workflow for the PNG rides in extra_pnginfo.
    // (A UI-format or saved-form prompt is accepted too, and becomes that workflow when none is given.)
    // An invalid one is answered by the error handler below, in ComfyUI's shape (node_errors).
    const prepared = prepareWorkflow(ctx.host, body.prompt, {}, { runsHere: ctx.queue.kind === 'embedded' });
    const extra: Record<string, unknown> = { ...body.extra_data };
    const pnginfo = (extra.extra_pnginfo ?? {}) as Record<string, unknown>;
    if (prepared.saved && pnginfo.workflow === undefined) extra.extra_pnginfo = { ...pnginfo, workflow: prepared.saved };
    // The run's preview method, resolved here so a worker needs not know this server's --preview-method.
    extra.preview_method = previewMethodOf(body.extra_data, ctx.options.previewMethod);
    const job = await ctx.queue.enqueue({
      id: body.prompt_id,
      prompt: prepared.prompt,
      extra,
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

  // ComfyUI: { clear: true } empties the pending queue, { delete: [ids] } removes pending prompts (a running one keeps running).
  router.post('/queue', async (req, res) => {
    const body = (req.body ?? {}) as { clear?: boolean; delete?: unknown };
    if (body.clear === true) await ctx.queue.clearQueued();
    if (Array.isArray(body.delete)) for (const id of body.delete) if (typeof id === 'string') await ctx.queue.removeQueued(id);
    res.status(200).json({});
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
    res.status(200).json({});
  });

  router.post('/interrupt', async (req, res) => {
    // Newer ComfyUI clients name the run ({ prompt_id }), the editor says { runId }; without either every running job stops.
    const body = interruptRequestSchema.catch({}).parse(req.body ?? {});
    res.json({ interrupted: await ctx.queue.interrupt(body.prompt_id ?? body.runId) });
  });

  router.use(errorHandler('comfy'));
  return router;
}
