/**
 * Every HTTP call the editor makes. Components never call `fetch`; they call these. Bodies and answers
 * are protocol/http.ts's types, so client and server agree by construction.
 * Errors come back as ApiError with the HTTP status and the server's ErrorAnswer (`{ error: { code, message, issues } }`).
 */
import type {
  ErrorAnswer,
  ExecutionGraph,
  HistoryPage,
  ImageRef,
  InterruptRequest,
  Issue,
  JobView,
  ObjectInfo,
  QueuedRun,
  QueueRunRequest,
  RenameWorkflowRequest,
  RunsListing,
  SavedSubgraphAnswer,
  SavedWorkflow,
  SubgraphJson,
  SystemInfo,
  UiWorkflow,
  UploadedImage,
  WorkflowRecord,
  WorkflowSummary,
} from '../../../protocol/index.ts';

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, headers: { accept: 'application/json' } };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, 'network', `Cannot reach the server (${method} ${path}): ${(error as Error).message}. Is latentflow running?`);
  }
  const text = await response.text();
  let json: unknown = undefined;
  if (text !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!response.ok) {
    const error = (json as Partial<ErrorAnswer> | undefined)?.error;
    const message = error?.message ?? `${method} ${path} failed with HTTP ${response.status}${text && !json ? `: ${text.slice(0, 200)}` : ''}`;
    throw new ApiError(response.status, error?.code ?? `http_${response.status}`, message, error?.issues ?? [], json);
  }
  return json as T;
}

const enc = encodeURIComponent;

export const api = {
  nodeTypes: () => request<ObjectInfo>('GET', '/api/node-types'),

  listWorkflows: () => request<WorkflowSummary[]>('GET', '/api/workflows'),
  getWorkflow: (name: string) => request<WorkflowRecord>('GET', `/api/workflows/${enc(name)}`),
  /** 201 with the record; ApiError 409 when the name exists. */
  createWorkflow: (name: string, workflow: SavedWorkflow | UiWorkflow) => request<WorkflowRecord>('POST', '/api/workflows', { name, workflow }),
  /** ApiError 409 with code `stale_revision` when someone saved in between. */
  updateWorkflow: (name: string, workflow: SavedWorkflow | UiWorkflow, revision: number) =>
    request<WorkflowRecord>('PUT', `/api/workflows/${enc(name)}`, { workflow, revision }),
  renameWorkflow: (name: string, newName: string, revision: number) =>
    request<WorkflowRecord>('POST', `/api/workflows/${enc(name)}/rename`, { newName, revision } satisfies RenameWorkflowRequest),
  deleteWorkflow: (name: string, revision: number) => request<unknown>('DELETE', `/api/workflows/${enc(name)}?revision=${revision}`),

  /** 202 `{ id, number }`; ApiError 400 `invalid_workflow` with every issue. */
  queueRun: (workflow: SavedWorkflow | UiWorkflow | ExecutionGraph, clientId: string) => request<QueuedRun>('POST', '/api/runs', { workflow, clientId } satisfies QueueRunRequest),
  listRuns: () => request<RunsListing>('GET', '/api/runs'),
  getRun: (id: string) => request<JobView>('GET', `/api/runs/${enc(id)}`),
  cancelRun: (id: string) => request<unknown>('DELETE', `/api/runs/${enc(id)}`),
  interrupt: (runId?: string) => request<unknown>('POST', '/api/interrupt', (runId ? { runId } : {}) satisfies InterruptRequest),
  history: (offset = 0, limit = 20) => request<HistoryPage>('GET', `/api/runs/history?offset=${offset}&limit=${limit}`),

  /** ComfyUI's mask upload: a copy of `original` whose alpha is `mask`'s, saved as input/<subfolder>/<filename>. */
  uploadMask: (mask: Blob, filename: string, original: ImageRef, subfolder: string) => {
    const form = new FormData();
    form.append('image', new File([mask], filename, { type: 'image/png' }));
    form.append('original_ref', JSON.stringify(original));
    form.append('type', 'input');
    form.append('subfolder', subfolder);
    return request<UploadedImage>('POST', '/upload/mask', form);
  },
  uploadImage: (file: File) => {
    const form = new FormData();
    form.append('image', file);
    return request<UploadedImage>('POST', '/upload/image', form);
  },

  /** Workflows ComfyUI's frontend saved under the user directory (`workflows/`), paths relative to it. */
  listUserWorkflows: () => request<string[]>('GET', '/api/userdata?dir=workflows&recurse=true&split=false'),
  /** One of them, as the JSON ComfyUI saved. */
  getUserWorkflow: (file: string) => request<unknown>('GET', `/api/userdata/${enc(`workflows/${file}`)}`),

  packs: () => request<unknown>('GET', '/api/packs'),
  saveSubgraph: (definition: SubgraphJson) => request<SavedSubgraphAnswer>('POST', '/api/packs/subgraphs', definition),
  exportSubgraph: (type: string) => request<SubgraphJson>('GET', `/api/packs/subgraphs/${enc(type)}`),

  system: () => request<SystemInfo>('GET', '/api/system'),
};

/** The URL of an image a node produced (ComfyUI's /view). */
export function imageUrl(image: ImageRef): string {
  return `/view?filename=${enc(image.filename)}&subfolder=${enc(image.subfolder ?? '')}&type=${enc(image.type ?? 'output')}`;
}
