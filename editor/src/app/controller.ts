/**
 * The editor's commands: everything a button, a shortcut or a drop does that involves the server or
 * more than one store (run, save, open, import/export, save selection as a node). Components call these;
 * these call editor/src/api and the stores.
 */
import type { ReactFlowInstance } from '@xyflow/react';

import { ApiError, api } from '../api/client.ts';
import { connectServer, type ServerConnection } from '../api/socket.ts';
import type { RunEvent, SavedWorkflow, SubgraphDefinition, SubgraphInput, SubgraphOutput } from '../api/types.ts';
import { defaultWidgets, isWidgetInput, parseCatalog, type Catalog, type NumberInput } from '../graph/catalog.ts';
import { fromSaved, makeEdge, makeNode, nextNodeId, readWorkflowJson, savedToExecution, toSaved, WorkflowFormatError } from '../graph/convert.ts';
import { isPng, readPngText, workflowFromPng } from '../graph/png-text.ts';
import { graphStore } from '../graph/store.ts';
import type { FlowEdge, FlowNode, GraphDoc, NodeData } from '../graph/types.ts';
import { nextSeed } from '../graph/widget-values.ts';
import { useRun } from '../run/run-store.ts';
import { askText, confirmAction, toast, useUi } from './ui-store.ts';

export const STORAGE_KEY = 'latentflow.canvas.v1';
const UNTITLED = 'untitled';

let connection: ServerConnection | null = null;
let flow: ReactFlowInstance<FlowNode, FlowEdge> | null = null;

/** The canvas registers its React Flow instance (for viewport, fit and focus). */
export function setFlowInstance(instance: ReactFlowInstance<FlowNode, FlowEdge> | null): void {
  flow = instance;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------------
// Start-up

/** Loads the catalog, connects the socket, restores the last canvas (or the default workflow). */
export async function start(): Promise<void> {
  if (connection) return; // React StrictMode mounts twice in development
  connection = connectServer({
    onRunEvent: (event) => {
      useRun.getState().apply(event);
      if (event.type === 'execution_success' || event.type === 'execution_error' || event.type === 'execution_interrupted') {
        void refreshQueue();
        if (event.type === 'execution_error') toast('error', event.message);
        if (event.type === 'execution_interrupted') toast('info', 'Run interrupted.');
      }
    },
    onQueueChanged: () => {
      void refreshQueue();
      const { active, waiting } = useRun.getState();
      if (active?.phase === 'queued') void catchUp(active.runId);
      for (const runId of Object.keys(waiting)) void catchUp(runId);
    },
    onConnection: (connected) => {
      useUi.setState({ connected });
      if (connected) void refreshQueue();
    },
  });
  await loadCatalog();
  await restoreCanvas();
  startPersistence();
  void refreshSystem();
}

export async function loadCatalog(): Promise<Catalog> {
  try {
    const catalog = parseCatalog(await api.nodeTypes());
    graphStore.getState().setCatalog(catalog);
    useUi.setState({ catalogError: null });
    return catalog;
  } catch (error) {
    useUi.setState({ catalogError: errorMessage(error) });
    toast('error', `Could not load the node types: ${errorMessage(error)}`);
    return graphStore.getState().catalog;
  }
}

interface StoredCanvas {
  workflow: SavedWorkflow;
  name: string | null;
  revision: number | null;
  dirty: boolean;
}

async function restoreCanvas(): Promise<void> {
  const raw = safeLocalStorage()?.getItem(STORAGE_KEY);
  if (raw) {
    try {
      const stored = JSON.parse(raw) as StoredCanvas;
      loadWorkflow(readWorkflowJson(stored.workflow), { name: stored.name, revision: stored.revision }, { quiet: true });
      if (stored.dirty) graphStore.setState({ dirty: true });
      return;
    } catch (error) {
      toast('error', `The canvas saved in this browser could not be read (${errorMessage(error)}); opening the default workflow.`);
    }
  }
  await openDefault();
}

async function openDefault(): Promise<void> {
  try {
    const record = await api.getWorkflow('default');
    loadWorkflow(record.workflow, { name: null, revision: null }, { quiet: true });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) toast('error', `Could not load the default workflow: ${errorMessage(error)}`);
  }
}

function safeLocalStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Saves the canvas to localStorage half a second after each change, so it survives a reload. */
function startPersistence(): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const persist = () => {
    const state = graphStore.getState();
    const stored: StoredCanvas = { workflow: currentWorkflow(), name: state.name, revision: state.revision, dirty: state.dirty };
    try {
      safeLocalStorage()?.setItem(STORAGE_KEY, JSON.stringify(stored));
    } catch {
      // Storage full or blocked: the canvas is still in memory; nothing to do.
    }
  };
  graphStore.subscribe((state, prev) => {
    if (state.nodes === prev.nodes && state.edges === prev.edges && state.name === prev.name && state.revision === prev.revision && state.dirty === prev.dirty) return;
    clearTimeout(timer);
    timer = setTimeout(persist, 500);
  });
  addEventListener('beforeunload', persist);
}

export async function refreshQueue(): Promise<void> {
  try {
    const [runs, history] = await Promise.all([api.listRuns(), api.history(0, 20)]);
    useUi.setState({ jobs: { running: runs.running, queued: runs.queued, history: history.jobs, historyTotal: history.total } });
  } catch {
    // The queue panel keeps its last listing; the connection indicator tells the user.
  }
}

export async function refreshSystem(): Promise<void> {
  try {
    useUi.setState({ system: await api.system() });
  } catch {
    useUi.setState({ system: null });
  }
}

// ---------------------------------------------------------------------------------------------------
// The document

/** The canvas in the saved form. */
export function currentWorkflow(): SavedWorkflow {
  const state = graphStore.getState();
  const viewport = flow?.getViewport();
  return toSaved(state, { name: state.name ?? UNTITLED, ...(viewport ? { viewport } : {}) });
}

/** Puts a workflow on the canvas (clears undo history), warning about anything that could not be placed. */
export function loadWorkflow(workflow: SavedWorkflow, meta: { name: string | null; revision: number | null }, options: { quiet?: boolean } = {}): void {
  const state = graphStore.getState();
  const loaded = fromSaved(workflow, state.catalog);
  state.load(loaded, meta);
  useRun.getState().clearIssues();
  for (const warning of loaded.warnings) toast('error', warning);
  // React Flow queues fitView until the new nodes are measured.
  if (loaded.viewport) void flow?.setViewport(loaded.viewport);
  else if (loaded.nodes.length > 0) void flow?.fitView({ padding: 0.15, maxZoom: 1 });
  if (!options.quiet) toast('info', `Opened "${workflow.name}".`);
}

async function discardChanges(): Promise<boolean> {
  if (!graphStore.getState().dirty) return true;
  return confirmAction('Discard changes?', 'The canvas has changes that are not saved to the server. Discard them?', 'Discard');
}

export async function newWorkflow(): Promise<void> {
  if (!(await discardChanges())) return;
  graphStore.getState().load({ nodes: [], edges: [] }, { name: null, revision: null });
  useRun.getState().clearIssues();
}

export async function openWorkflow(name: string): Promise<void> {
  if (!(await discardChanges())) return;
  try {
    const record = await api.getWorkflow(name);
    loadWorkflow(record.workflow, { name: record.name, revision: record.revision });
    useUi.setState({ openDialog: false });
  } catch (error) {
    toast('error', `Could not open "${name}": ${errorMessage(error)}`);
  }
}

/** Save: to the workflow this canvas came from, else "save as". */
export async function save(): Promise<void> {
  const { name, revision } = graphStore.getState();
  if (name === null || revision === null) return saveAs();
  try {
    const record = await api.updateWorkflow(name, { ...currentWorkflow(), name }, revision);
    graphStore.getState().markSaved({ name: record.name, revision: record.revision });
    toast('success', `Saved "${record.name}".`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      const overwrite = await confirmAction(
        'Saved elsewhere',
        `"${name}" was changed since you opened it (another tab or user). Overwrite it with this canvas?`,
        'Overwrite',
      );
      if (overwrite) await overwriteWorkflow(name);
      return;
    }
    if (error instanceof ApiError && error.status === 404) return saveAs();
    toast('error', `Could not save "${name}": ${errorMessage(error)}`);
  }
}

async function overwriteWorkflow(name: string): Promise<void> {
  try {
    const latest = await api.getWorkflow(name);
    const record = await api.updateWorkflow(name, { ...currentWorkflow(), name }, latest.revision);
    graphStore.getState().markSaved({ name: record.name, revision: record.revision });
    toast('success', `Saved "${record.name}".`);
  } catch (error) {
    toast('error', `Could not save "${name}": ${errorMessage(error)}`);
  }
}

export async function saveAs(): Promise<void> {
  const current = graphStore.getState().name;
  const name = (await askText('Save workflow as', 'Name', current ?? ''))?.trim();
  if (!name) return;
  try {
    const record = await api.createWorkflow(name, { ...currentWorkflow(), name });
    graphStore.getState().markSaved({ name: record.name, revision: record.revision });
    toast('success', `Saved "${record.name}".`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      if (await confirmAction('Name taken', `A workflow named "${name}" exists. Replace it?`, 'Replace')) await overwriteWorkflow(name);
      return;
    }
    toast('error', `Could not save "${name}": ${errorMessage(error)}`);
  }
}

export async function renameWorkflow(name: string, revision: number): Promise<boolean> {
  const newName = (await askText(`Rename "${name}"`, 'New name', name, 'Rename'))?.trim();
  if (!newName || newName === name) return false;
  try {
    const record = await api.renameWorkflow(name, newName, revision);
    const state = graphStore.getState();
    if (state.name === name) state.markSaved({ name: record.name, revision: record.revision });
    if (state.dirty) graphStore.setState({ dirty: true });
    toast('success', `Renamed "${name}" to "${record.name}".`);
    return true;
  } catch (error) {
    toast('error', `Could not rename "${name}": ${errorMessage(error)}`);
    return false;
  }
}

export async function deleteWorkflow(name: string, revision: number): Promise<boolean> {
  if (!(await confirmAction('Delete workflow', `Delete "${name}" from the server? This cannot be undone.`, 'Delete'))) return false;
  try {
    await api.deleteWorkflow(name, revision);
    const state = graphStore.getState();
    if (state.name === name) graphStore.setState({ name: null, revision: null, dirty: true });
    toast('success', `Deleted "${name}".`);
    return true;
  } catch (error) {
    toast('error', `Could not delete "${name}": ${errorMessage(error)}`);
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Files: import, export, dropped PNGs

function download(filename: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function fileStem(name: string): string {
  return name.replace(/\.[^.]+$/, '') || 'imported';
}

export function exportWorkflow(form: 'saved' | 'execution'): void {
  const workflow = currentWorkflow();
  const body = form === 'saved' ? workflow : savedToExecution(workflow);
  download(`${workflow.name}${form === 'execution' ? '.api' : ''}.json`, `${JSON.stringify(body, null, 2)}\n`);
}

function isSubgraphDefinition(json: unknown): json is SubgraphDefinition {
  const j = json as Partial<SubgraphDefinition> | null;
  return !!j && typeof j === 'object' && typeof j.type === 'string' && Array.isArray(j.inputs) && Array.isArray(j.outputs) && typeof j.workflow === 'object';
}

/** Uploads a PNG to the server's input folder and points a node's image input at it. */
export async function uploadImageTo(nodeId: string, input: string, file: File): Promise<void> {
  try {
    const ref = await api.uploadImage(file);
    const name = ref.subfolder ? `${ref.subfolder}/${ref.name}` : ref.name;
    await loadCatalog(); // the input's options now include the new file
    graphStore.getState().setWidget(nodeId, input, name);
    toast('success', `Uploaded ${file.name} as "${name}".`);
  } catch (error) {
    toast('error', `Could not upload ${file.name}: ${errorMessage(error)}`);
  }
}

/**
 * Opens a file: a workflow JSON (either form), a subgraph node type exported from another server, or a
 * PNG made by SaveImage (its embedded workflow). A PNG without a workflow dropped at `at` becomes a
 * LoadImage node there (the picture is uploaded to the input folder).
 */
export async function importFile(file: File, at?: { x: number; y: number }): Promise<void> {
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    if (isPng(bytes)) {
      const text = await readPngText(bytes);
      if (!('workflow' in text) && !('prompt' in text) && at && graphStore.getState().catalog.has('LoadImage')) {
        const id = graphStore.getState().addNode('LoadImage', at);
        await uploadImageTo(id, 'image', file);
        return;
      }
      const workflow = await workflowFromPng(bytes, fileStem(file.name));
      if (!(await discardChanges())) return;
      loadWorkflow(workflow, { name: null, revision: null }, { quiet: true });
      graphStore.setState({ dirty: true });
      toast('success', `Loaded the workflow embedded in ${file.name}.`);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new WorkflowFormatError(`${file.name} is neither JSON nor a PNG.`);
    }
    if (isSubgraphDefinition(json)) {
      await api.saveSubgraph(json);
      await loadCatalog();
      toast('success', `Imported node type "${json.type}"; find it in the palette.`);
      return;
    }
    const workflow = readWorkflowJson(json, fileStem(file.name));
    if (!(await discardChanges())) return;
    loadWorkflow(workflow, { name: null, revision: null }, { quiet: true });
    graphStore.setState({ dirty: true });
    toast('success', `Imported ${file.name}.`);
  } catch (error) {
    toast('error', `Could not import ${file.name}: ${errorMessage(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Running

/** The nodes a run executes: output nodes and everything upstream of them. */
export function nodesToRun(doc: GraphDoc, catalog: Catalog): string[] {
  const upstream = new Map<string, string[]>();
  for (const edge of doc.edges) upstream.set(edge.target, [...(upstream.get(edge.target) ?? []), edge.source]);
  const seen = new Set<string>();
  const stack = doc.nodes.filter((n) => catalog.get(n.data.nodeType)?.outputNode).map((n) => n.id);
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(upstream.get(id) ?? []));
  }
  return doc.nodes.map((n) => n.id).filter((id) => seen.has(id));
}

/** Applies seed controls (randomize/increment/decrement) before a run, so the widget shows the seed used. */
function advanceSeeds(): void {
  const { nodes, catalog, edges } = graphStore.getState();
  const changes: Array<{ nodeId: string; input: string; value: unknown }> = [];
  for (const node of nodes) {
    const controls = node.data.controls;
    if (!controls) continue;
    const spec = catalog.get(node.data.nodeType);
    for (const [input, control] of Object.entries(controls)) {
      if (control === 'fixed') continue;
      if (edges.some((e) => e.target === node.id && e.targetHandle === input)) continue;
      const def = spec?.inputs.find((i) => i.name === input);
      if (!def || def.kind !== 'int') continue;
      const value = Number(node.data.widgets[input] ?? 0);
      changes.push({ nodeId: node.id, input, value: nextSeed(control, value, def as NumberInput) });
    }
  }
  if (changes.length > 0) graphStore.getState().setWidgets(changes);
}

export async function runWorkflow(): Promise<void> {
  const state = graphStore.getState();
  if (state.nodes.length === 0) {
    toast('info', 'The canvas is empty: add nodes from the palette (or double-click the canvas) first.');
    return;
  }
  advanceSeeds();
  const workflow = currentWorkflow();
  const expected = nodesToRun(graphStore.getState(), state.catalog);
  try {
    const clientId = connection?.clientId ?? 'editor';
    const { id, number } = await api.queueRun(workflow, clientId);
    connection?.subscribe(id);
    useRun.getState().queued(id, number, expected);
    void refreshQueue();
    setTimeout(() => void catchUp(id), 1500);
  } catch (error) {
    if (error instanceof ApiError && error.issues.length > 0) {
      useRun.getState().rejected(error.issues);
      toast('error', error.issues.length === 1 ? error.issues[0].message : `The workflow has ${error.issues.length} problems; they are marked on the nodes.`);
      return;
    }
    toast('error', `Could not queue the run: ${errorMessage(error)}`);
  }
}

/**
 * Events sent before our subscription reached the server are lost (a quick run can finish first):
 * once the job record says the run is over, show its outcome from the record.
 */
async function catchUp(runId: string): Promise<void> {
  try {
    const job = await api.getRun(runId);
    const { active, waiting } = useRun.getState();
    const unseen = active?.runId === runId ? active.phase === 'queued' : runId in waiting;
    if (!unseen || job.status === 'queued' || job.status === 'running') return;
    const apply = useRun.getState().apply;
    apply({ runId, type: 'execution_start', timestamp: Date.now() });
    for (const [node, output] of Object.entries(job.outputs ?? {})) apply({ runId, type: 'executed', node, nodeType: '', output, cached: false });
    const error = typeof job.error === 'object' && job.error !== null ? job.error : null;
    const recorded = (error?.messages ?? []).map(([, event]) => event as RunEvent).find((e) => e?.type === 'execution_error' || e?.type === 'execution_interrupted');
    if (job.status === 'success') apply({ runId, type: 'execution_success', timestamp: Date.now() });
    else if (recorded) apply({ ...recorded, runId });
    else if (job.status === 'error') apply({ runId, type: 'execution_error', node: null, nodeType: null, message: error?.message ?? 'The run failed.', issues: error?.issues ?? [] });
    else apply({ runId, type: 'execution_interrupted', node: null, nodeType: null, executed: [] });
  } catch {
    // Live events will still arrive.
  }
}

export async function interrupt(runId?: string): Promise<void> {
  try {
    await api.interrupt(runId ?? useRun.getState().active?.runId);
  } catch (error) {
    toast('error', `Could not interrupt: ${errorMessage(error)}`);
  }
}

export async function cancelJob(id: string): Promise<void> {
  try {
    await api.cancelRun(id);
    await refreshQueue();
  } catch (error) {
    toast('error', `Could not remove the queued run: ${errorMessage(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// View

export function focusNode(id: string): void {
  graphStore.getState().selectOnly([id]);
  void flow?.fitView({ nodes: [{ id }], padding: 0.6, maxZoom: 1.2, duration: 300 });
}

export function fitView(): void {
  void flow?.fitView({ padding: 0.15, maxZoom: 1, duration: 200 });
}

/** The flow position at the centre of the canvas (where keyboard-added nodes go). */
export function viewCenter(): { x: number; y: number } {
  const pane = document.querySelector('.react-flow');
  if (!flow || !pane) return { x: 0, y: 0 };
  const rect = pane.getBoundingClientRect();
  return flow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 });
}

export function screenToFlow(point: { x: number; y: number }): { x: number; y: number } {
  return flow ? flow.screenToFlowPosition(point) : point;
}

// ---------------------------------------------------------------------------------------------------
// Save selection as a node type (subgraph)

function unique(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1') || 'input';
  let candidate = base;
  for (let i = 2; taken.has(candidate); i++) candidate = `${base}_${i}`;
  taken.add(candidate);
  return candidate;
}

export interface SubgraphMeta {
  /** Shown in the palette. */
  displayName: string;
  /** The type id (the server adds its pack's namespace). */
  type: string;
  description: string;
  /** Widgets to expose as inputs of the new node, as `<nodeId>:<input>`. */
  exposedWidgets?: string[];
}

const WIDGET_TYPE = { int: 'INT', float: 'FLOAT', text: 'STRING', boolean: 'BOOLEAN', choice: 'COMBO' } as const;

/**
 * The subgraph of the selected nodes. Inputs: one per outside output feeding the selection (all the
 * inner inputs it fed become its targets), one per required socket left unconnected, and the widgets
 * the user chose to expose (their current values become defaults). Outputs: the selection's outputs
 * used outside, or, when none is, every output not used inside.
 */
export function subgraphOfSelection(doc: GraphDoc, catalog: Catalog, meta: SubgraphMeta): SubgraphDefinition | null {
  const selected = doc.nodes.filter((n) => n.selected);
  if (selected.length === 0) return null;
  const ids = new Set(selected.map((n) => n.id));
  const inner = doc.edges.filter((e) => ids.has(e.source) && ids.has(e.target));
  const inputs: SubgraphInput[] = [];
  const outputs: SubgraphOutput[] = [];
  const inputNames = new Set<string>();
  const outputNames = new Set<string>();

  const bySource = new Map<string, SubgraphInput>();
  for (const edge of doc.edges) {
    if (ids.has(edge.source) || !ids.has(edge.target)) continue;
    const key = `${edge.source}:${edge.sourceHandle ?? 0}`;
    const target = { node: edge.target, input: edge.targetHandle ?? '' };
    const port = bySource.get(key);
    if (port) port.targets.push(target);
    else {
      const created: SubgraphInput = { name: unique(target.input, inputNames), type: edge.data?.socketType ?? '*', targets: [target] };
      bySource.set(key, created);
      inputs.push(created);
    }
  }
  const exposed = new Set(meta.exposedWidgets ?? []);
  for (const node of selected) {
    const spec = catalog.get(node.data.nodeType);
    for (const input of spec?.inputs ?? []) {
      const linked = doc.edges.some((e) => e.target === node.id && e.targetHandle === input.name);
      if (!isWidgetInput(input)) {
        if (!linked && !input.optional) inputs.push({ name: unique(input.name, inputNames), type: input.type, targets: [{ node: node.id, input: input.name }] });
        continue;
      }
      if (linked || !exposed.has(`${node.id}:${input.name}`)) continue;
      const port: SubgraphInput = { name: unique(input.name, inputNames), type: WIDGET_TYPE[input.kind], targets: [{ node: node.id, input: input.name }] };
      const value = node.data.widgets[input.name];
      if (value !== undefined) port.default = value;
      if (input.kind === 'int' || input.kind === 'float') {
        if (input.min !== undefined) port.min = input.min;
        if (input.max !== undefined) port.max = input.max;
        if (input.step !== undefined) port.step = input.step;
      }
      if (input.kind === 'text' && input.multiline) port.multiline = true;
      if (input.tooltip) port.description = input.tooltip;
      inputs.push(port);
    }
  }

  const seen = new Set<string>();
  const addOutput = (nodeId: string, index: number) => {
    const key = `${nodeId}:${index}`;
    if (seen.has(key)) return;
    seen.add(key);
    const node = selected.find((n) => n.id === nodeId)!;
    const out = catalog.get(node.data.nodeType)?.outputs[index];
    if (out) outputs.push({ name: unique(out.name, outputNames), type: out.type, from: { node: nodeId, output: index } });
  };
  const outgoing = doc.edges.filter((e) => ids.has(e.source) && !ids.has(e.target));
  for (const edge of outgoing) addOutput(edge.source, Number(edge.sourceHandle ?? 0));
  if (outgoing.length === 0) {
    for (const node of selected) {
      for (const out of catalog.get(node.data.nodeType)?.outputs ?? []) {
        if (!inner.some((e) => e.source === node.id && Number(e.sourceHandle ?? 0) === out.index)) addOutput(node.id, out.index);
      }
    }
  }
  const outputNode = selected.some((n) => catalog.get(n.data.nodeType)?.outputNode);
  const workflow = toSaved({ nodes: selected, edges: inner }, { name: meta.type });
  return {
    type: meta.type,
    displayName: meta.displayName,
    ...(meta.description ? { description: meta.description } : {}),
    category: 'subgraphs',
    ...(outputNode ? { outputNode: true } : {}),
    inputs,
    outputs,
    workflow,
  };
}

/** Sends the selection to the server as a node type; on success replaces the selection by one such node. */
export async function saveSelectionAsNode(meta: SubgraphMeta): Promise<boolean> {
  const state = graphStore.getState();
  const definition = subgraphOfSelection(state, state.catalog, meta);
  if (!definition) {
    toast('info', 'Select the nodes to turn into a node type first.');
    return false;
  }
  try {
    await api.saveSubgraph(definition);
  } catch (error) {
    toast('error', `Could not save the node type: ${errorMessage(error)}`);
    return false;
  }
  const catalog = await loadCatalog();
  const spec = [...catalog.values()].find((s) => s.pack !== null && (s.type === meta.type || s.type.endsWith(`/${meta.type}`)));
  if (!spec) {
    toast('success', `Saved node type "${meta.type}".`);
    return true;
  }
  collapseSelection(definition, spec.type);
  toast('success', `Saved node type "${spec.type}"; the selection is now one node.`);
  return true;
}

/** Replaces the selected nodes by one node of `nodeType`, rewiring the links that crossed the selection. */
export function collapseSelection(definition: SubgraphDefinition, nodeType: string, store = graphStore): void {
  const state = store.getState();
  const spec = state.catalog.get(nodeType);
  if (!spec) return;
  const selected = state.nodes.filter((n) => n.selected);
  const ids = new Set(selected.map((n) => n.id));
  const x = Math.min(...selected.map((n) => n.position.x));
  const y = Math.min(...selected.map((n) => n.position.y));
  const id = nextNodeId(state.nodes);
  const data: NodeData = { nodeType, widgets: defaultWidgets(spec), ...(spec.version !== undefined ? { version: spec.version } : {}) };
  const edges: FlowEdge[] = state.edges.filter((e) => !ids.has(e.source) && !ids.has(e.target));
  for (const edge of state.edges) {
    if (!ids.has(edge.source) && ids.has(edge.target)) {
      const port = definition.inputs.find((p) => p.targets.some((t) => t.node === edge.target && t.input === edge.targetHandle));
      if (port && spec.inputs.some((i) => i.name === port.name) && !edges.some((e) => e.target === id && e.targetHandle === port.name)) {
        edges.push(makeEdge(edge.source, Number(edge.sourceHandle ?? 0), id, port.name, port.type));
      }
    } else if (ids.has(edge.source) && !ids.has(edge.target)) {
      const index = definition.outputs.findIndex((p) => p.from.node === edge.source && p.from.output === Number(edge.sourceHandle ?? 0));
      if (index >= 0 && spec.outputs[index]) edges.push(makeEdge(id, index, edge.target, edge.targetHandle ?? '', spec.outputs[index].type));
    }
  }
  const nodes = [...state.nodes.filter((n) => !ids.has(n.id)).map((n) => (n.selected ? { ...n, selected: false } : n)), { ...makeNode(id, data, { x, y }), selected: true }];
  state.replaceDocument({ nodes, edges });
}

export async function exportNodeType(type: string): Promise<void> {
  try {
    const definition = await api.exportSubgraph(type);
    download(`${type.replace(/[^A-Za-z0-9_-]+/g, '_')}.node.json`, `${JSON.stringify(definition, null, 2)}\n`);
  } catch (error) {
    toast('error', `Could not export "${type}": ${errorMessage(error)}`);
  }
}
