/** Keyboard shortcuts: the list the help panel shows and the handler the app installs. */
import { graphStore, MODE_BYPASSED, MODE_MUTED } from '../graph/store.ts';
import { save, saveAs } from './document.ts';
import { interrupt, runWorkflow } from './run.ts';
import { fitView, viewCenter } from './view.ts';
import { useUi } from './ui-store.ts';

export interface Shortcut {
  keys: string;
  action: string;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: 'Ctrl+Enter', action: 'Run the workflow' },
  { keys: 'Ctrl+Alt+Enter', action: 'Interrupt the running workflow' },
  { keys: 'Ctrl+S', action: 'Save' },
  { keys: 'Ctrl+Shift+S', action: 'Save as…' },
  { keys: 'Ctrl+O', action: 'Open a saved workflow' },
  { keys: 'Ctrl+Z', action: 'Undo' },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', action: 'Redo' },
  { keys: 'Ctrl+C / Ctrl+V', action: 'Copy / paste the selected nodes (pasted at the mouse)' },
  { keys: 'Ctrl+D', action: 'Duplicate the selected nodes' },
  { keys: 'Ctrl+A', action: 'Select all nodes' },
  { keys: 'Delete / Backspace', action: 'Delete the selected nodes, groups and links' },
  { keys: 'Ctrl+M', action: 'Mute / unmute the selected nodes (a muted node does not run)' },
  { keys: 'Ctrl+B', action: 'Bypass / un-bypass the selected nodes (a bypassed node passes its inputs through)' },
  { keys: 'Ctrl+G', action: 'Put the selected nodes in a new group (drag its title to move them together; double-click it to rename)' },
  { keys: 'Double-click canvas', action: 'Search node types and add one there' },
  { keys: 'Shift+drag', action: 'Select with a box' },
  { keys: 'Ctrl+click', action: 'Add a node to the selection' },
  { keys: 'Drag a link end', action: "Grab a link just outside its input to move it; drop it on empty canvas to delete it" },
  { keys: 'F', action: 'Fit the whole graph in view' },
  { keys: 'G', action: 'Toggle snap to grid' },
  { keys: '?', action: 'Show this help' },
  { keys: 'Escape', action: 'Close dialogs and menus' },
];

/** The last mouse position over the canvas (screen px), where Ctrl+V pastes. */
export const pointer = { x: 0, y: 0, overCanvas: false };

function isTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** The window keydown handler. Returns true when it handled the key. */
export function handleShortcut(event: KeyboardEvent, pasteAt: () => { x: number; y: number }): boolean {
  const ctrl = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  const inText = isTextField(event.target);
  const graph = graphStore.getState();
  const ui = useUi.getState();
  if (ui.dialog || ui.openDialog || ui.saveAsNodeDialog || ui.lightbox) return false; // dialogs own the keyboard

  if (ctrl && key === 'enter') {
    if (event.altKey) void interrupt();
    else void runWorkflow();
    return true;
  }
  if (ctrl && key === 's') {
    if (event.shiftKey) void saveAs();
    else void save();
    return true;
  }
  if (ctrl && key === 'o') {
    useUi.setState({ openDialog: true });
    return true;
  }
  if (inText) return false;
  if (ctrl && key === 'z') {
    if (event.shiftKey) graph.redo();
    else graph.undo();
    return true;
  }
  if (ctrl && key === 'y') {
    graph.redo();
    return true;
  }
  if (ctrl && key === 'c') {
    const fragment = graph.copySelection();
    if (fragment && navigator.clipboard) void navigator.clipboard.writeText(JSON.stringify({ latentflowFragment: fragment })).catch(() => undefined);
    return fragment !== null;
  }
  if (ctrl && key === 'v') {
    if (!graph.clipboard) return false;
    graph.paste(pointer.overCanvas ? pasteAt() : viewCenter());
    return true;
  }
  if (ctrl && key === 'd') {
    if (graph.copySelection()) graph.paste();
    return true;
  }
  if (ctrl && key === 'a') {
    graph.selectAll();
    return true;
  }
  if (ctrl && (key === 'm' || key === 'b')) {
    graph.toggleMode(key === 'm' ? MODE_MUTED : MODE_BYPASSED);
    return true;
  }
  if (ctrl && key === 'g') {
    graph.addGroup('Group', viewCenter());
    return true;
  }
  if (ctrl || event.altKey) return false;
  if (key === 'delete' || key === 'backspace') {
    graph.deleteSelection();
    return true;
  }
  if (key === 'f') {
    fitView();
    return true;
  }
  if (key === 'g') {
    graph.setSnapToGrid(!graph.snapToGrid);
    return true;
  }
  if (event.key === '?') {
    ui.setPanel(ui.panel === 'help' ? null : 'help');
    return true;
  }
  if (key === 'escape') {
    if (ui.quickAdd) useUi.setState({ quickAdd: null });
    else graph.selectOnly([]);
    return true;
  }
  return false;
}
