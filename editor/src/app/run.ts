/**
 * Running: the live connection to the server's run events, queueing the canvas, catching up on a run
 * whose events were missed, interrupting and cancelling, and the queue listing.
 */
import { type Catalog, type NumberInput, type RunEvent, savedToUi, uiToExecution, upstreamNodes } from '../../../protocol/index.ts';
import { ApiError, api } from '../api/client.ts';
import { connectServer, type ServerConnection } from '../api/socket.ts';
import { toSaved } from '../graph/convert.ts';
import { graphStore } from '../graph/store.ts';
import type { GraphDoc } from '../graph/types.ts';
import { nextSeed } from '../graph/widget-values.ts';
import { useRun } from '../run/run-store.ts';
import { currentUiWorkflow } from './document.ts';
import { errorMessage, toast, useUi } from './ui-store.ts';

let connection: ServerConnection | null = null;

/** Connects the socket: run events go to the run store, queue changes refresh the queue listing. */
export function connectLive(): void {
  if (connection) return;
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
}

export async function refreshQueue(): Promise<void> {
  try {
    const [runs, history] = await Promise.all([api.listRuns(), api.history(0, 20)]);
    useUi.setState({ jobs: { running: runs.running, queued: runs.queued, history: history.jobs, historyTotal: history.total } });
  } catch {
    // The queue panel keeps its last listing; the connection indicator tells the user.
  }
}

/**
 * The nodes a run executes: output nodes and everything upstream of them, after the same conversion the
 * server applies to what the editor sends (ComfyUI's UI format: notes and muted nodes left out,
 * bypassed nodes passed through, reroutes resolved).
 */
export function nodesToRun(doc: GraphDoc, catalog: Catalog): string[] {
  const specs = { nodeSpec: (type: string) => catalog.get(type) };
  const { graph } = uiToExecution(savedToUi(toSaved(doc, { name: '' }), specs, { keepIds: true }), specs);
  return upstreamNodes(graph, Object.keys(graph).filter((id) => catalog.get(graph[id].class_type)?.outputNode));
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
  // ComfyUI's UI format: the server turns it into what runs exactly as it does ComfyUI's files, and
  // SaveImage embeds it as the PNG's "workflow" (groups, notes and layout come back when it is dropped).
  const workflow = currentUiWorkflow();
  const expected = nodesToRun(graphStore.getState(), state.catalog);
  try {
    const clientId = connection?.clientId ?? 'editor';
    const { id, number } = await api.queueRun(workflow, clientId);
    connection?.subscribe(id);
    useRun.getState().queued(id, number, expected);
    void refreshQueue();
    // A run served from the cache can be over before the POST is answered (its events came before we
    // knew its id): look at once, and again a little later for events lost before the subscription.
    void catchUp(id);
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
    const error = job.error;
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
