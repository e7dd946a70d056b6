/**
 * The editor's session: start-up (catalog, live connection, the canvas restored from this browser or
 * the default workflow), keeping the canvas in localStorage across reloads, and the catalog and system
 * information it shows.
 */
import { parseCatalog, type Catalog, type SavedWorkflow } from '../../../protocol/index.ts';
import { ApiError, api } from '../api/client.ts';
import { readWorkflowJson } from '../graph/convert.ts';
import { graphStore } from '../graph/store.ts';
import { currentWorkflow, loadWorkflow, openJson } from './document.ts';
import { connectLive } from './run.ts';
import { errorMessage, toast, useUi } from './ui-store.ts';

export const STORAGE_KEY = 'latentflow.canvas.v1';

let started = false;

/** Loads the catalog, connects the socket, restores the last canvas (or the default workflow). */
export async function start(): Promise<void> {
  if (started) return; // React StrictMode mounts twice in development
  started = true;
  connectLive();
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

export async function refreshSystem(): Promise<void> {
  try {
    useUi.setState({ system: await api.system() });
  } catch {
    useUi.setState({ system: null });
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
    openJson(record.workflow, record.name, { name: null, revision: null }, { quiet: true });
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
    if (state.nodes === prev.nodes && state.edges === prev.edges && state.groups === prev.groups && state.reroutes === prev.reroutes && state.name === prev.name && state.revision === prev.revision && state.dirty === prev.dirty) return;
    clearTimeout(timer);
    timer = setTimeout(persist, 500);
  });
  addEventListener('beforeunload', persist);
}
