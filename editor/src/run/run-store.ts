/**
 * The run-state store: the pure reducer of run-state.ts plus the side effects it must not do itself
 * (object URLs for step previews, freed when replaced). Nodes read their own slice with selectors.
 */
import { create } from 'zustand';

import type { Issue, RunEvent } from '../../../protocol/index.ts';
import { emptyRunState, reduceRunEvent, runQueued, runRejected, type RunState } from './run-state.ts';

export interface RunStore extends RunState {
  /** Issues by node id (recomputed when issues change, so a node's selector gets a stable array). */
  issuesByNode: Record<string, Issue[]>;
  apply(event: RunEvent): void;
  queued(runId: string, number: number | undefined, expectedNodes: string[]): void;
  rejected(issues: Issue[]): void;
  clearIssues(): void;
}

function byNode(issues: Issue[]): Record<string, Issue[]> {
  const out: Record<string, Issue[]> = {};
  for (const issue of issues) if (issue.nodeId !== undefined) (out[issue.nodeId] ??= []).push(issue);
  return out;
}

function previewUrl(event: Extract<RunEvent, { type: 'preview' }>): string | undefined {
  if (typeof URL === 'undefined' || typeof URL.createObjectURL !== 'function') return undefined;
  const data = event.image.data instanceof Uint8Array ? event.image.data : new Uint8Array(event.image.data);
  return URL.createObjectURL(new Blob([data as BlobPart], { type: event.image.mime }));
}

export const useRun = create<RunStore>()((set, get) => {
  const setState = (next: RunState) => {
    const prev = get();
    set({ ...next, ...(next.issues !== prev.issues ? { issuesByNode: byNode(next.issues) } : {}) });
  };
  return {
    ...emptyRunState(),
    issuesByNode: {},
    apply(event) {
      const state = get();
      let url: string | undefined;
      if (event.type === 'preview' && (state.active?.runId === event.runId || event.runId in state.waiting)) {
        url = previewUrl(event);
        const old = state.nodes[event.node]?.preview;
        if (old && url) URL.revokeObjectURL(old);
      }
      setState(reduceRunEvent(state, event, url));
    },
    queued(runId, number, expectedNodes) {
      setState(runQueued(get(), runId, number, expectedNodes));
    },
    rejected(issues) {
      setState(runRejected(get(), issues));
    },
    clearIssues() {
      setState({ ...get(), issues: [] });
    },
  };
});
