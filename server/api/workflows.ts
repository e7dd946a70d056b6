/**
 * Saved workflows: CRUD with revisions (a stale save is 409), the shipped default, and "workflow as an
 * endpoint": POST /api/workflows/:name/run runs a saved graph with the body as input overrides and
 * answers with its outputs (or a job id with ?wait=false).
 */
import fs from 'node:fs';
import path from 'node:path';

import { Router } from 'express';

import {
  createWorkflowRequestSchema,
  InvalidWorkflowError,
  parseWorkflow,
  renameWorkflowRequestSchema,
  updateWorkflowRequestSchema,
  type WorkflowRunAnswer,
} from '../../protocol/index.ts';
import { REPO_ROOT } from '../config.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';
import { checkWorkflowSize } from '../jobs/submit.ts';
import { outputFiles } from './output-files.ts';
import { jobView, parseBody, queueWorkflow, waitForJob } from './runs.ts';

/** Workflows shipped with latentflow (workflows/*.json), by name. */
export function shippedWorkflowPath(name: string): string | null {
  if (!/^[a-z0-9-]+$/.test(name)) return null;
  const file = path.join(REPO_ROOT, 'workflows', `${name}.json`);
  return fs.existsSync(file) ? file : null;
}

/**
 * Names a saved workflow may not take: GET /api/workflows/default is the editor's starting canvas (the
 * shipped txt2img), so a saved "default" could be written but never read back.
 */
const RESERVED_NAMES = new Set(['default']);

function checkSavedName(name: string): string {
  if (RESERVED_NAMES.has(name)) {
    throw new HttpError(400, 'reserved_name', `"${name}" is reserved (GET /api/workflows/${name} is the shipped starting workflow): save under another name`);
  }
  return name;
}

/** The workflow must parse in either form (shape and links); node-level validation happens at run time. */
function checkShape(ctx: ApiContext, workflow: unknown): void {
  checkWorkflowSize(workflow);
  const parsed = parseWorkflow(workflow, ctx.host.registry);
  if (!parsed.graph || parsed.issues.length) throw new InvalidWorkflowError(parsed.issues);
}

export function workflowsRouter(ctx: ApiContext): Router {
  const router = Router();

  router.get('/api/workflows', (_req, res) => {
    res.json(ctx.workflows.list());
  });

  // The editor's starting canvas: the shipped txt2img workflow on the demo model.
  router.get('/api/workflows/default', (_req, res) => {
    const file = shippedWorkflowPath('txt2img');
    if (!file) throw new HttpError(404, 'not_found', 'the default workflow (workflows/txt2img.json) is missing from this install');
    res.json({ name: 'txt2img', revision: 0, updatedAt: fs.statSync(file).mtime.toISOString(), workflow: JSON.parse(fs.readFileSync(file, 'utf8')) });
  });

  router.get('/api/workflows/shipped/:name', (req, res) => {
    const file = shippedWorkflowPath(req.params.name);
    if (!file) throw new HttpError(404, 'not_found', `latentflow ships no workflow "${req.params.name}"`);
    res.json({ name: req.params.name, revision: 0, workflow: JSON.parse(fs.readFileSync(file, 'utf8')) });
  });

  router.get('/api/workflows/:name', (req, res) => {
    res.json(ctx.workflows.get(req.params.name));
  });

  router.post('/api/workflows', (req, res) => {
    const { name, workflow } = parseBody(createWorkflowRequestSchema, req.body);
    checkShape(ctx, workflow);
    res.status(201).json(ctx.workflows.create(checkSavedName(name), workflow));
  });

  router.put('/api/workflows/:name', (req, res) => {
    const { workflow, revision } = parseBody(updateWorkflowRequestSchema, req.body);
    checkShape(ctx, workflow);
    res.json(ctx.workflows.update(req.params.name, workflow, revision));
  });

  router.post('/api/workflows/:name/rename', (req, res) => {
    const { newName, revision } = parseBody(renameWorkflowRequestSchema, req.body);
    res.json(ctx.workflows.rename(req.params.name, checkSavedName(newName), revision));
  });

  router.delete('/api/workflows/:name', (req, res) => {
    const revision = req.query.revision === undefined ? undefined : Number(req.query.revision);
    if (revision !== undefined && !Number.isInteger(revision)) throw new HttpError(400, 'bad_request', 'revision must be an integer');
    ctx.workflows.delete(req.params.name, revision);
    res.json({ deleted: true });
  });

  router.post('/api/workflows/:name/run', async (req, res) => {
    const stored = ctx.workflows.get(req.params.name);
    const overrides = (req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? req.body : {}) as Record<string, unknown>;
    const job = await queueWorkflow(ctx, { workflow: stored.workflow, overrides });
    if (req.query.wait === 'false') {
      res.status(202).json({ id: job.id, number: job.number });
      return;
    }
    const timeoutMs = Math.min(3_600_000, Math.max(1000, Number(req.query.timeoutMs ?? 600_000) || 600_000));
    const finished = await waitForJob(ctx, job.id, timeoutMs);
    const status = finished.status === 'success' ? 200 : finished.finishedAt === null ? 202 : 500;
    res.status(status).json({ ...jobView(finished), files: outputFiles(finished.outputs) } satisfies WorkflowRunAnswer);
  });

  return router;
}

