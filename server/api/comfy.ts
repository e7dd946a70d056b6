/**
 * ComfyUI's HTTP API, so existing ComfyUI clients work unchanged: /prompt, /queue, /history,
 * /interrupt (and /view, /upload/image, /object_info, /system_stats in their own modules).
 * Payload shapes follow ComfyUI's server.py.
 */
import { Router } from 'express';
import { z } from 'zod';

import type { GraphIssue } from './protocol.ts';
import { RUN_ID_PATTERN, RUN_ID_RULE } from '../jobs/queue.ts';
import { InvalidWorkflowError, prepareWorkflow } from '../jobs/submit.ts';
import type { JobRecord } from '../store/job-store.ts';
import type { ApiContext } from './context.ts';
import { capIssues } from './errors.ts';
import { parseBody } from './runs.ts';

const promptSchema = z.object({
  prompt: z.unknown(),
  client_id: z.string().max(200).optional(),
  front: z.boolean().optional(),
  number: z.number().optional(),
  extra_data: z.record(z.string(), z.unknown()).optional(),
  prompt_id: z.string().regex(RUN_ID_PATTERN, RUN_ID_RULE).optional(),
});

/** ComfyUI's queue item: [number, prompt_id, prompt, extra_data, outputs_to_execute]. */
function queueItem(job: JobRecord): unknown[] {
  const outputs = job.outputNodeIds ?? [];
  return [job.number, job.id, job.prompt, { ...job.extra, client_id: job.clientId ?? undefined }, outputs];
}

/**
 * ComfyUI's node_errors: { nodeId: { errors: [{ type, message, details, extra_info }], dependent_outputs, class_type } }.
 * Keyed by the client's node ids, so a null-prototype object: an id such as "constructor" or "__proto__" is
 * a key like any other.
 */
function nodeErrors(issues: GraphIssue[], prompt: unknown): Record<string, unknown> {
  const errors: Record<string, { errors: unknown[]; dependent_outputs: string[]; class_type: string }> = Object.create(null);
  const classTypeOf = (id: string): string => {
    const node = prompt !== null && typeof prompt === 'object' && Object.hasOwn(prompt, id) ? (prompt as Record<string, unknown>)[id] : undefined;
    const type = node !== null && typeof node === 'object' ? (node as { class_type?: unknown }).class_type : undefined;
    return typeof type === 'string' ? type : '';
  };
  for (const issue of issues) {
    if (!issue.nodeId) continue;
    errors[issue.nodeId] ??= { errors: [], dependent_outputs: [], class_type: issue.nodeType ?? classTypeOf(issue.nodeId) };
    errors[issue.nodeId].errors.push({ type: issue.code, message: issue.message, details: issue.input ? `${issue.input}` : '', extra_info: { input_name: issue.input, ...issue.details } });
  }
  return errors;
}

export function historyEntry(job: JobRecord) {
  const messages = ((job.error as { messages?: unknown[] } | null)?.messages ?? []) as unknown[];
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
    const body = parseBody(promptSchema, req.body);
    try {
      // ComfyUI clients send the execution form; a saved-form workflow for the PNG rides in extra_pnginfo.
      const prepared = prepareWorkflow(ctx.host, body.prompt, {}, { runsHere: ctx.queue.kind === 'embedded' });
      const job = await ctx.queue.enqueue({
        id: body.prompt_id,
        prompt: prepared.prompt,
        extra: body.extra_data ?? {},
        clientId: body.client_id ?? null,
        front: body.front,
      });
      res.json({ prompt_id: job.id, number: job.number, node_errors: {} });
    } catch (error) {
      if (!(error instanceof InvalidWorkflowError)) throw error;
      const outputFailure = error.issues.some((i) => i.nodeId);
      const { issues, issuesOmitted } = capIssues(error.issues);
      res.status(400).json({
        error: {
          type: outputFailure ? 'prompt_outputs_failed_validation' : 'invalid_prompt',
          message: outputFailure ? 'Prompt outputs failed validation' : error.message,
          details: error.message,
          extra_info: issuesOmitted ? { issues_omitted: issuesOmitted } : {},
        },
        node_errors: nodeErrors(issues, body.prompt),
      });
    }
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

  return router;
}
