/**
 * The document: the canvas as a saved workflow, and its life on the server (new, open, save, save as,
 * rename, delete; a stale save asks before overwriting).
 */
import { type SavedWorkflow, savedToUi, type UiWorkflow } from '../../../protocol/index.ts';
import { ApiError, api } from '../api/client.ts';
import { fromSaved, readWorkflowJson, toSaved } from '../graph/convert.ts';
import { graphStore } from '../graph/store.ts';
import { useRun } from '../run/run-store.ts';
import { askText, confirmAction, errorMessage, toast, useUi } from './ui-store.ts';
import { flowInstance } from './view.ts';

const UNTITLED = 'untitled';

/** The canvas in the saved form. */
export function currentWorkflow(): SavedWorkflow {
  const state = graphStore.getState();
  const viewport = flowInstance()?.getViewport();
  return toSaved(state, { name: state.name ?? UNTITLED, ...(viewport ? { viewport } : {}) });
}

/** The catalog as the converters read it (each node type's widget order). */
export function catalogSpecs() {
  const { catalog } = graphStore.getState();
  return { nodeSpec: (type: string) => catalog.get(type) };
}

/**
 * The canvas in ComfyUI's UI format, as the editor saves and runs it: groups, notes, reroutes, modes and
 * colours included, the canvas's node ids kept (a run's events name the nodes shown).
 */
export function currentUiWorkflow(name?: string): UiWorkflow {
  const saved = currentWorkflow();
  return savedToUi(name === undefined ? saved : { ...saved, name }, catalogSpecs(), { keepIds: true });
}

/** A workflow as the server or a file holds it (any form) on the canvas. */
export function openJson(json: unknown, name: string, meta: { name: string | null; revision: number | null }, options: { quiet?: boolean } = {}): void {
  loadWorkflow(readWorkflowJson(json, name, graphStore.getState().catalog), meta, options);
}

/** Puts a workflow on the canvas (clears undo history), warning about anything that could not be placed. */
export function loadWorkflow(workflow: SavedWorkflow, meta: { name: string | null; revision: number | null }, options: { quiet?: boolean } = {}): void {
  const state = graphStore.getState();
  const loaded = fromSaved(workflow, state.catalog);
  state.load(loaded, meta);
  useRun.getState().clearIssues();
  for (const warning of loaded.warnings) toast('error', warning);
  // React Flow queues fitView until the new nodes are measured.
  if (loaded.viewport) void flowInstance()?.setViewport(loaded.viewport);
  else if (loaded.nodes.length > 0) void flowInstance()?.fitView({ padding: 0.15, maxZoom: 1 });
  if (!options.quiet) toast('info', `Opened "${workflow.name}".`);
}

/** Asks before dropping unsaved changes; true when there are none or the user agrees. */
export async function discardChanges(): Promise<boolean> {
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
    openJson(record.workflow, record.name, { name: record.name, revision: record.revision });
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
    const record = await api.updateWorkflow(name, currentUiWorkflow(name), revision);
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
    const record = await api.updateWorkflow(name, currentUiWorkflow(name), latest.revision);
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
    const record = await api.createWorkflow(name, currentUiWorkflow(name));
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

/** Opens a workflow ComfyUI saved under the user directory (`workflows/<file>`); saving it stores it in latentflow's workflows. */
export async function openUserWorkflow(file: string): Promise<void> {
  if (!(await discardChanges())) return;
  try {
    const json = await api.getUserWorkflow(file);
    openJson(json, file.replace(/\.json$/i, ''), { name: null, revision: null });
    useUi.setState({ openDialog: false });
  } catch (error) {
    toast('error', `Could not open "${file}": ${errorMessage(error)}`);
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
