/**
 * The wire types the editor reads and writes. The editor imports nothing from the server at run time:
 * the protocol, catalog and workflow types come from their real definitions as `export type` (erased
 * by the build), so the two sides cannot drift; the rest are the shapes of the HTTP routes.
 */

import type { ObjectInfoEntry } from '../../../nodes/schema.ts';
import type { Issue, UiOutput } from '../../../protocol/index.ts';
import type { ExecutionGraph, SavedWorkflow } from '../../../protocol/index.ts';

export type { ObjectInfoEntry, ObjectInfoInput } from '../../../nodes/schema.ts';
export type { ExecutionGraph, ExecutionNode, Link, SavedEdge, SavedNode, SavedWorkflow } from '../../../protocol/index.ts';
export type { Issue, IssueCode, PreviewImage, RunEvent, RunEventType, UiOutput } from '../../../protocol/index.ts';

/** GET /api/node-types: the catalog, by node type. */
export type ObjectInfo = Record<string, ObjectInfoEntry>;

/** A stored workflow (GET /api/workflows/:name). */
export interface WorkflowRecord {
  name: string;
  revision: number;
  updatedAt: string;
  workflow: SavedWorkflow;
}

export type WorkflowSummary = Omit<WorkflowRecord, 'workflow'>;

// ---------------------------------------------------------------------------------------------------
// Runs, images, packs, system.

export type JobStatus = 'queued' | 'running' | 'success' | 'error' | 'interrupted';

export interface Job {
  id: string;
  number: number;
  status: JobStatus;
  /** Output node id -> what it showed (e.g. `{ images: [...] }`). */
  outputs?: Record<string, UiOutput> | null;
  /** A failed or interrupted run: its message, issues, and milestone events as `[type, event]` pairs. */
  error?: { message?: string; issues?: Issue[]; messages?: Array<[string, unknown]> } | string | null;
  createdAt?: string | number | null;
  startedAt?: string | number | null;
  finishedAt?: string | number | null;
}

/** An image a node produced (ComfyUI's `{ filename, subfolder, type }`). */
export interface ImageRef {
  filename: string;
  subfolder: string;
  type: 'output' | 'temp' | 'input' | (string & {});
}

export interface QueueChanged {
  queued: number;
  running: string | null;
}

/**
 * A subgraph node type (nodes/packs/subgraph.ts `SubgraphJson`): what POST /api/packs/subgraphs takes and
 * GET /api/packs/subgraphs/:type gives. Inputs feed inner node inputs (`targets`); outputs come `from`
 * an inner node's output; the server lists it as `<pack>/<type>` with inputs and outputs in this order.
 */
export interface SubgraphDefinition {
  type: string;
  version?: number;
  description?: string;
  category?: string;
  displayName?: string;
  outputNode?: boolean;
  inputs: SubgraphInput[];
  outputs: SubgraphOutput[];
  /** The fragment, saved or execution form. */
  workflow: SavedWorkflow | ExecutionGraph;
}

export interface SubgraphInput {
  name: string;
  /** A socket type, or a widget type: INT, FLOAT, STRING, BOOLEAN, COMBO. */
  type: string;
  description?: string;
  optional?: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  options?: string[];
  multiline?: boolean;
  targets: Array<{ node: string; input: string }>;
}

export interface SubgraphOutput {
  name: string;
  type: string;
  description?: string;
  from: { node: string; output: number };
}

/** GET /api/system (fields may be missing on other hosts; everything is optional here). */
export interface SystemInfo {
  version?: string;
  uptimeSeconds?: number;
  cpu?: { model?: string; cores?: number; loadAverage?: number[]; features?: Record<string, boolean>; engineThreads?: number };
  memory?: { totalBytes?: number; freeBytes?: number; rssBytes?: number; heapUsedBytes?: number };
  native?: { activationsCurrent?: number; activationsPeak?: number; weightsCurrent?: number; mappedCurrent?: number };
  cache?: { entries?: number; bytes?: number };
  queue?: { pending?: number; running?: string | null };
}
