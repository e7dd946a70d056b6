/** The top bar: workflow name and file commands, run/interrupt, undo/redo, view toggles, panels. */
import { useRef } from 'react';

import { graphStore, useGraph } from '../graph/store.ts';
import { useRun } from '../run/run-store.ts';
import { newWorkflow, save, saveAs } from './document.ts';
import { exportWorkflow, importFile } from './files.ts';
import { interrupt, runWorkflow } from './run.ts';
import { fitView, viewCenter } from './view.ts';
import { useUi, type SidePanel } from './ui-store.ts';

export function Toolbar() {
  const name = useGraph((s) => s.name);
  const dirty = useGraph((s) => s.dirty);
  const canUndo = useGraph((s) => s.history.past.length > 0);
  const canRedo = useGraph((s) => s.history.future.length > 0);
  const snap = useGraph((s) => s.snapToGrid);
  const hasSelection = useGraph((s) => s.nodes.some((n) => n.selected));
  const phase = useRun((s) => s.active?.phase);
  const connected = useUi((s) => s.connected);
  const panel = useUi((s) => s.panel);
  const running = useUi((s) => s.jobs.running.length > 0) || phase === 'running';
  const file = useRef<HTMLInputElement>(null);

  const togglePanel = (p: SidePanel) => useUi.getState().setPanel(panel === p ? null : p);

  return (
    <header className="lf-toolbar" role="toolbar" aria-label="Editor">
      <span className="lf-brand">latentflow</span>
      <span className="lf-doc-name" title={dirty ? 'Unsaved changes' : 'Saved'} data-testid="workflow-name">
        {name ?? 'untitled'}
        {dirty && <span className="lf-dirty" aria-label="unsaved changes"> ●</span>}
      </span>
      <div className="lf-group">
        <button type="button" onClick={() => void newWorkflow()} title="New workflow">
          New
        </button>
        <button type="button" onClick={() => useUi.setState({ openDialog: true })} title="Open a saved workflow (Ctrl+O)">
          Open
        </button>
        <button type="button" onClick={() => void save()} title="Save (Ctrl+S)">
          Save
        </button>
        <button type="button" onClick={() => void saveAs()} title="Save as (Ctrl+Shift+S)">
          Save as
        </button>
        <button type="button" onClick={() => file.current?.click()} title="Import a workflow (JSON, either form), a SaveImage PNG, or an exported node type">
          Import
        </button>
        <input
          ref={file}
          type="file"
          accept=".json,application/json,image/png"
          hidden
          aria-label="Import file"
          data-testid="import-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void importFile(f);
            e.target.value = '';
          }}
        />
        <button type="button" onClick={() => exportWorkflow('saved')} title="Download the workflow as JSON (ComfyUI's UI format: opens in ComfyUI)">
          Export
        </button>
        <button type="button" onClick={() => exportWorkflow('execution')} title="Download the workflow in ComfyUI's API format">
          Export API
        </button>
      </div>
      <div className="lf-group">
        <button type="button" onClick={() => graphStore.getState().undo()} disabled={!canUndo} aria-label="Undo" title="Undo (Ctrl+Z)">
          ↶
        </button>
        <button type="button" onClick={() => graphStore.getState().redo()} disabled={!canRedo} aria-label="Redo" title="Redo (Ctrl+Shift+Z)">
          ↷
        </button>
        <button type="button" onClick={fitView} aria-label="Fit view" title="Fit the graph in view (F)">
          ⤢
        </button>
        <button type="button" aria-pressed={snap} onClick={() => graphStore.getState().setSnapToGrid(!snap)} title="Snap to grid (G)">
          Snap
        </button>
        <button type="button" disabled={!hasSelection} onClick={() => useUi.setState({ saveAsNodeDialog: true })} title="Turn the selected nodes into a reusable node type">
          Save as node
        </button>
        <button type="button" onClick={() => graphStore.getState().addGroup('Group', viewCenter())} title="Add a group around the selected nodes (Ctrl+G)">
          Group
        </button>
        <button type="button" onClick={() => graphStore.getState().addNode('MarkdownNote', viewCenter())} title="Add a note (Markdown)">
          Note
        </button>
        <button type="button" onClick={() => graphStore.getState().addNode('Reroute', viewCenter())} title="Add a reroute dot to pass a link through">
          Reroute
        </button>
      </div>
      <div className="lf-group lf-run-group">
        <button type="button" className="lf-run" onClick={() => void runWorkflow()} title="Run (Ctrl+Enter)">
          ▶ Run
        </button>
        <button type="button" className="lf-interrupt" onClick={() => void interrupt()} disabled={!running} title="Interrupt the running workflow (Ctrl+Alt+Enter)">
          ■ Interrupt
        </button>
      </div>
      <div className="lf-group lf-right">
        <button type="button" aria-pressed={panel === 'queue'} onClick={() => togglePanel('queue')}>
          Queue
        </button>
        <button type="button" aria-pressed={panel === 'info'} onClick={() => togglePanel('info')}>
          Info
        </button>
        <button type="button" aria-pressed={panel === 'help'} onClick={() => togglePanel('help')} title="Keyboard shortcuts (?)">
          Help
        </button>
        <span className={`lf-conn ${connected ? 'lf-on' : 'lf-off'}`} role="status" aria-label={connected ? 'Connected to the server' : 'Not connected to the server'} title={connected ? 'Connected' : 'Disconnected'} />
      </div>
    </header>
  );
}
