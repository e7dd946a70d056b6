/**
 * The wire types the editor reads and writes. The editor imports nothing from the server at run time;
 * these are the shapes of server/api/protocol.ts, nodes/schema.ts (`ObjectInfoEntry`) and
 * nodes/workflow.ts (the two workflow forms), written out here for the browser build.
 * TODO(editor): replace the copies below by `export type { ... } from '../../../server/api/protocol.ts'`
 * (and nodes/workflow.ts, nodes/schema.ts) once those modules are on main, so the two cannot drift.
 */

// ---------------------------------------------------------------------------------------------------
// Node catalog (GET /api/node-types): ComfyUI's object_info shape plus latentflow's version and pack.

/** One input as object_info writes it: `[type | options, config]`. */
export type ObjectInfoInput = [string | string[], Record<string, unknown>];

export interface ObjectInfoEntry {
  input: { required: Record<string, ObjectInfoInput>; optional?: Record<string, ObjectInfoInput> };
  input_order?: { required: string[]; optional?: string[] };
  output: string[];
  output_is_list?: boolean[];
  output_name: string[];
  output_tooltips?: string[];
  name: string;
  display_name?: string;
  description?: string;
  category: string;
  python_module?: string;
  output_node?: boolean;
  version?: number;
  pack?: string | null;
}

export type ObjectInfo = Record<string, ObjectInfoEntry>;

// ---------------------------------------------------------------------------------------------------
// Workflows: the saved form (the editor's view) and the execution form (ComfyUI API format).

export type Link = [nodeId: string, outputIndex: number];

export interface ExecutionNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string; [key: string]: unknown };
}

export type ExecutionGraph = Record<string, ExecutionNode>;

export interface SavedNode {
  id: string;
  type: string;
  version?: number;
  title?: string;
  position: { x: number; y: number };
  size?: { width: number; height: number };
  widgets: Record<string, unknown>;
}

export interface SavedEdge {
  from: { node: string; output: number };
  to: { node: string; input: string };
}

export interface SavedWorkflow {
  version: 1;
  name: string;
  nodes: SavedNode[];
  edges: SavedEdge[];
  extra?: Record<string, unknown>;
}

/** A stored workflow (GET /api/workflows/:name). */
export interface WorkflowRecord {
  name: string;
  revision: number;
  updatedAt: string;
  workflow: SavedWorkflow;
}

export type WorkflowSummary = Omit<WorkflowRecord, 'workflow'>;

// ---------------------------------------------------------------------------------------------------
// Issues and run events (server/api/protocol.ts).

export type GraphIssueCode =
  | 'workflow_invalid'
  | 'node_type_unknown'
  | 'input_missing'
  | 'input_unknown'
  | 'link_invalid'
  | 'type_mismatch'
  | 'value_invalid'
  | 'value_out_of_range'
  | 'cycle'
  | 'output_node_missing'
  | 'node_failed'
  | 'native_failed'
  | 'node_definition_invalid'
  | 'node_type_duplicate';

export interface GraphIssue {
  code: GraphIssueCode | (string & {});
  message: string;
  nodeId?: string;
  nodeType?: string;
  input?: string;
  details?: Record<string, unknown>;
}

export type UiOutputPayload = Record<string, unknown>;

export interface PreviewImagePayload {
  mime: 'image/png' | 'image/jpeg';
  width: number;
  height: number;
  /** Binary over socket.io: an ArrayBuffer (or a typed array) in the browser. */
  data: ArrayBuffer | Uint8Array;
}

interface RunEventBase {
  runId: string;
}

export type RunEvent = RunEventBase &
  (
    | { type: 'queued'; position: number }
    | { type: 'execution_start'; timestamp: number }
    | { type: 'execution_cached'; nodes: string[] }
    | { type: 'executing'; node: string; nodeType: string }
    | { type: 'progress'; node: string; value: number; max: number }
    | { type: 'preview'; node: string; image: PreviewImagePayload }
    | { type: 'executed'; node: string; nodeType: string; output: UiOutputPayload; cached: boolean }
    | { type: 'stats'; node: string; nodeType: string; ms: number; peakBytes: number | null; extra: Record<string, number> }
    | { type: 'execution_error'; node: string | null; nodeType: string | null; message: string; issues: GraphIssue[] }
    | { type: 'execution_interrupted'; node: string | null; nodeType: string | null; executed: string[] }
    | { type: 'execution_success'; timestamp: number }
  );

export type RunEventType = RunEvent['type'];

// ---------------------------------------------------------------------------------------------------
// Runs, images, packs, system.

export type JobStatus = 'queued' | 'running' | 'success' | 'error' | 'interrupted';

export interface Job {
  id: string;
  number: number;
  status: JobStatus;
  /** Output node id -> what it showed (e.g. `{ images: [...] }`). */
  outputs?: Record<string, UiOutputPayload> | null;
  /** A failed or interrupted run: its message, issues, and milestone events as `[type, event]` pairs. */
  error?: { message?: string; issues?: GraphIssue[]; messages?: Array<[string, unknown]> } | string | null;
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

export interface SystemInfo {
  cpu?: Record<string, unknown> | string;
  memory?: Record<string, unknown>;
  native?: { activationsPeak?: number; [key: string]: unknown };
  models?: unknown[];
  [key: string]: unknown;
}
