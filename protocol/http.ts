/**
 * Our HTTP API: what each route takes and answers (ComfyUI's own routes, /prompt and friends, follow
 * ComfyUI's shapes; their request bodies are here too). The server parses request bodies with these
 * schemas; the editor's client is typed by them, so the two cannot drift.
 *
 * | route                                   | takes                  | answers                      |
 * |-----------------------------------------|------------------------|------------------------------|
 * | GET  /api/node-types (/object_info)     |                        | ObjectInfo (catalog.ts)      |
 * | POST /api/runs                          | QueueRunRequest        | 202 QueuedRun                |
 * | GET  /api/runs                          |                        | RunsListing                  |
 * | GET  /api/runs/:id                      |                        | JobView (with prompt, extra) |
 * | DELETE /api/runs/:id                    |                        | { deleted } / { interrupted }|
 * | POST /api/interrupt                     | InterruptRequest       | { interrupted }              |
 * | GET  /api/history?offset&limit          |                        | HistoryPage                  |
 * | GET  /api/workflows                     |                        | WorkflowSummary[]            |
 * | GET  /api/workflows/:name (default)     |                        | WorkflowRecord               |
 * | POST /api/workflows                     | CreateWorkflowRequest  | 201 WorkflowRecord           |
 * | PUT  /api/workflows/:name               | UpdateWorkflowRequest  | WorkflowRecord               |
 * | POST /api/workflows/:name/rename        | RenameWorkflowRequest  | WorkflowRecord               |
 * | POST /api/workflows/:name/run           | overrides              | WorkflowRunAnswer            |
 * | POST /api/packs/subgraphs               | SubgraphJson           | 201 SavedSubgraphAnswer      |
 * | GET  /api/packs/subgraphs/:type         |                        | SubgraphJson                 |
 * | POST /upload/image                      | multipart "image"      | UploadedImage                |
 * | POST /upload/mask                       | multipart "image", "original_ref" | UploadedImage     |
 * | GET  /api/system                        |                        | SystemInfo                   |
 * | any, on failure                         |                        | ErrorAnswer                  |
 *
 * @example
 *   const request = queueRunRequestSchema.parse(req.body);          // server
 *   const run: QueuedRun = await post('/api/runs', request);         // editor
 */
import { z } from 'zod';

import { uiOutputSchema } from './events.ts';
import { type Issue, issueSchema } from './issues.ts';
import { JOB_STATUSES, jobErrorSchema } from './jobs.ts';
import type { SubgraphJson } from './subgraph.ts';
import type { ExecutionGraph } from './workflow/execution.ts';
import type { SavedWorkflow } from './workflow/saved.ts';
import type { UiWorkflow } from './workflow/ui.ts';

// ---------------------------------------------------------------------------------------------------
// Runs

/**
 * Run ids clients may choose (ComfyUI's `prompt_id`, usually a UUID): 1-100 letters, digits, "-" or "_",
 * not only digits (BullMQ refuses integer ids, and the rule is the same for both queues), and not
 * "history" in any case (GET /api/runs/history is the history page: such a run could never be fetched
 * at /api/runs/:id, express matching paths case-insensitively).
 */
export const RUN_ID_PATTERN = /^(?![0-9]+$)(?![hH][iI][sS][tT][oO][rR][yY]$)[A-Za-z0-9_-]{1,100}$/;
export const RUN_ID_RULE = 'use 1-100 letters, digits, "-" or "_", not only digits and not "history" (a UUID is fine)';

/** POST /api/runs: a workflow in either form, with input overrides (`{ "6.text": "a cat" }`). */
export const queueRunRequestSchema = z.object({
  workflow: z.unknown(),
  // The client's own object, not a copy: a copy made by assignment would drop a "__proto__" key
  // silently (it would set the copy's prototype); applyOverrides refuses it instead.
  overrides: z
    .custom<Record<string, unknown>>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'overrides must be an object such as {"6.text": "a cat"}')
    .optional(),
  clientId: z.string().max(200).optional(),
  front: z.boolean().optional(),
});
export type QueueRunRequest = Omit<z.infer<typeof queueRunRequestSchema>, 'workflow'> & { workflow: SavedWorkflow | UiWorkflow | ExecutionGraph };

/** POST /api/interrupt: the run to interrupt (every running one without it). */
/** POST /interrupt (also /api/interrupt): our `runId` or ComfyUI's `prompt_id`; neither stops every running job. */
export const interruptRequestSchema = z.object({ runId: z.string().optional(), prompt_id: z.string().optional() });
export type InterruptRequest = z.infer<typeof interruptRequestSchema>;

/** A queued run: its id (the run id of every event) and queue number. */
export const queuedRunSchema = z.object({ id: z.string(), number: z.number() });
export type QueuedRun = z.infer<typeof queuedRunSchema>;

/** A job as the API shows it; listings leave the workflow out, GET /api/runs/:id has it (`prompt`, `extra`). */
export const jobViewSchema = z.object({
  id: z.string(),
  number: z.number(),
  status: z.enum(JOB_STATUSES),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  finishedAt: z.number().nullable(),
  attempts: z.number().int(),
  /** The worker that runs or ran it (null: the embedded queue, or not started). */
  worker: z.string().nullable(),
  /** Output node id -> what it showed (e.g. `{ images: [...] }`). */
  outputs: z.record(z.string(), uiOutputSchema).nullable(),
  error: jobErrorSchema.nullable(),
  prompt: z.custom<ExecutionGraph>((v) => typeof v === 'object' && v !== null).optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;

/** GET /api/runs: running then queued jobs, in run order. */
export interface RunsListing {
  running: JobView[];
  queued: JobView[];
}

/** GET /api/history: finished jobs, newest first. */
export interface HistoryPage {
  total: number;
  offset: number;
  limit: number;
  jobs: JobView[];
}

/** An image a node produced (ComfyUI's `{ filename, subfolder, type }`). */
export const imageRefSchema = z.object({ filename: z.string(), subfolder: z.string(), type: z.string() });
export type ImageRef = z.infer<typeof imageRefSchema>;

/** A file a run wrote, with the URL that serves it. */
export interface OutputFile extends ImageRef {
  node: string;
  url: string;
}

/** POST /api/workflows/:name/run: the finished job and the files it wrote (202 without `files` when it is still running). */
export type WorkflowRunAnswer = JobView & { files: OutputFile[] };

// ---------------------------------------------------------------------------------------------------
// Workflows

/** POST /api/workflows. */
export const createWorkflowRequestSchema = z.object({ name: z.string(), workflow: z.unknown() });
/** PUT /api/workflows/:name: `revision` is the one the change was based on (a stale one is 409). */
export const updateWorkflowRequestSchema = z.object({ workflow: z.unknown(), revision: z.number().int().min(1) });
/** POST /api/workflows/:name/rename. */
export const renameWorkflowRequestSchema = z.object({ newName: z.string(), revision: z.number().int().min(1) });
export type RenameWorkflowRequest = z.infer<typeof renameWorkflowRequestSchema>;

/** A stored workflow (GET /api/workflows/:name). */
export interface WorkflowRecord {
  name: string;
  revision: number;
  updatedAt: string;
  /** As it was saved: ComfyUI's UI format (what the editor saves), latentflow's older saved form, or the API form. */
  workflow: SavedWorkflow | UiWorkflow | ExecutionGraph;
}

export type WorkflowSummary = Omit<WorkflowRecord, 'workflow'>;

// ---------------------------------------------------------------------------------------------------
// Packs, files, system

/** POST /upload/image: where the image went. */
export interface UploadedImage {
  name: string;
  subfolder: string;
  type: string;
}

/** POST /api/packs/subgraphs: the registered type (`<pack>/<type>`) and what was saved. */
export interface SavedSubgraphAnswer {
  type: string;
  pack: string;
  subgraph: SubgraphJson;
}

/** A node pack that was loaded (GET /api/packs). */
export interface LoadedPack {
  name: string;
  version: string;
  /** The pack's folder (or its file, for a single-file JSON pack). */
  dir: string;
  kind: 'code' | 'subgraphs';
  /** The node types it added (namespaced), in registration order. */
  nodeTypes: string[];
}

/** GET /api/packs: the packs loaded and every refusal (a pack or node type that was not). */
export interface PacksListing {
  packs: LoadedPack[];
  issues: Issue[];
}

/** A process that runs jobs, as GET /api/system lists it. */
export interface WorkerInfo {
  id: string;
  kind: 'embedded' | 'remote';
  host: string;
  pid: number;
  status: 'idle' | 'busy' | 'stopping';
  /** The job it runs (the first, with concurrency > 1), or null. */
  currentJob: string | null;
  currentJobs: string[];
  concurrency: number;
  /** Models its cache holds, relative to its models directory (e.g. "diffusers/tiny-sd"). */
  loadedModels: string[];
  startedAt: number;
  /** Milliseconds since the epoch. */
  lastHeartbeat: number;
}

/** GET /api/system (and /api/health): the server, its engine, cache, queue and workers. */
export interface SystemInfo {
  version: string;
  uptimeSeconds: number;
  cpu: { model: string; cores: number; loadAverage: number[]; features: Record<string, boolean>; /** the kernels' path: portable | avx2 | avx512 */ isa: string; engineThreads: number };
  memory: { totalBytes: number; freeBytes: number; rssBytes: number; heapUsedBytes: number };
  /** The engine's memory counters, bytes. */
  native: { activationsCurrent: number; activationsPeak: number; weightsCurrent: number; mappedCurrent: number; activationsCached: number };
  cache: { entries: number; bytes: number };
  queue: { mode: 'embedded' | 'redis'; pending: number; running: string | null; runningIds: string[] };
  workers: WorkerInfo[];
}

// ---------------------------------------------------------------------------------------------------
// Errors

/** Every failed request of our API answers this (ComfyUI's routes answer ComfyUI's shape instead). */
export const errorAnswerSchema = z.object({
  error: z.object({
    /** What went wrong, for code: `invalid_workflow`, `not_found`, `stale_revision`, `queue_unavailable`, ... */
    code: z.string(),
    message: z.string(),
    issues: z.array(issueSchema).optional(),
    /** How many issues were left out: an answer lists at most 100. */
    issuesOmitted: z.number().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorAnswer = z.infer<typeof errorAnswerSchema>;

// ---------------------------------------------------------------------------------------------------
// ComfyUI's routes

/** POST /prompt (ComfyUI): the execution form, and who queued it. */
export const promptRequestSchema = z.object({
  prompt: z.unknown(),
  client_id: z.string().max(200).optional(),
  front: z.boolean().optional(),
  number: z.number().optional(),
  extra_data: z.record(z.string(), z.unknown()).optional(),
  prompt_id: z.string().regex(RUN_ID_PATTERN, RUN_ID_RULE).optional(),
});
export type PromptRequest = z.infer<typeof promptRequestSchema>;
