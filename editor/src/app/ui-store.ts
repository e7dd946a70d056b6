/** Editor chrome state: toasts, dialogs, side panel, queue listing, connection, lightbox, quick-add. */
import { create } from 'zustand';

import type { ImageRef, JobView, SystemInfo } from '../../../protocol/index.ts';

export type ToastKind = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
}

export type SidePanel = 'queue' | 'info' | 'help';

export type DialogRequest =
  | { kind: 'prompt'; title: string; label: string; value: string; confirmLabel: string; resolve(value: string | null): void }
  | { kind: 'confirm'; title: string; message: string; confirmLabel: string; resolve(ok: boolean): void };

export interface UiState {
  toasts: Toast[];
  panel: SidePanel | null;
  dialog: DialogRequest | null;
  openDialog: boolean;
  saveAsNodeDialog: boolean;
  lightbox: { images: ImageRef[]; index: number } | null;
  /** Where the quick-add search opened (screen px) and the flow position new nodes go to. */
  quickAdd: { screen: { x: number; y: number }; flow: { x: number; y: number } } | null;
  jobs: { running: JobView[]; queued: JobView[]; history: JobView[]; historyTotal: number };
  connected: boolean;
  system: SystemInfo | null;
  catalogError: string | null;

  toast(kind: ToastKind, message: string): void;
  dismissToast(id: number): void;
  setPanel(panel: SidePanel | null): void;
}

let nextToastId = 1;

export const useUi = create<UiState>()((set, get) => ({
  toasts: [],
  panel: 'queue',
  dialog: null,
  openDialog: false,
  saveAsNodeDialog: false,
  lightbox: null,
  quickAdd: null,
  jobs: { running: [], queued: [], history: [], historyTotal: 0 },
  connected: false,
  system: null,
  catalogError: null,

  toast(kind, message) {
    const id = nextToastId++;
    set({ toasts: [...get().toasts.filter((t) => t.message !== message), { id, kind, message }].slice(-5) });
    setTimeout(() => get().dismissToast(id), kind === 'error' ? 10_000 : 4_000);
  },
  dismissToast(id) {
    set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
  setPanel(panel) {
    set({ panel });
  },
}));

export const toast = (kind: ToastKind, message: string) => useUi.getState().toast(kind, message);

/** What to show of a caught error. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Asks for a line of text in the editor's own dialog; null when cancelled. */
export function askText(title: string, label: string, value = '', confirmLabel = 'OK'): Promise<string | null> {
  return new Promise((resolve) => {
    useUi.setState({
      dialog: {
        kind: 'prompt',
        title,
        label,
        value,
        confirmLabel,
        resolve: (v) => {
          useUi.setState({ dialog: null });
          resolve(v);
        },
      },
    });
  });
}

/** Asks to confirm an action; false when cancelled. */
export function confirmAction(title: string, message: string, confirmLabel = 'OK'): Promise<boolean> {
  return new Promise((resolve) => {
    useUi.setState({
      dialog: {
        kind: 'confirm',
        title,
        message,
        confirmLabel,
        resolve: (ok) => {
          useUi.setState({ dialog: null });
          resolve(ok);
        },
      },
    });
  });
}
