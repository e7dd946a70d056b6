/**
 * The server's saved workflows (open, rename, delete) and the workflows ComfyUI's frontend saved in the
 * user directory (`/userdata?dir=workflows`: open); filter by name.
 */
import { useCallback, useEffect, useState } from 'react';

import { api } from '../api/client.ts';
import type { WorkflowSummary } from '../../../protocol/index.ts';
import { useGraph } from '../graph/store.ts';
import { deleteWorkflow, openUserWorkflow, openWorkflow, renameWorkflow } from './document.ts';
import { Modal } from './Modal.tsx';
import { useUi } from './ui-store.ts';

export function OpenDialog() {
  const open = useUi((s) => s.openDialog);
  return open ? <WorkflowList /> : null;
}

function WorkflowList() {
  const current = useGraph((s) => s.name);
  const [list, setList] = useState<WorkflowSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const close = useCallback(() => useUi.setState({ openDialog: false }), []);
  const reload = useCallback(() => {
    api
      .listWorkflows()
      .then((l) => {
        setList([...l].sort((a, b) => a.name.localeCompare(b.name)));
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  useEffect(reload, [reload]);
  const [userFiles, setUserFiles] = useState<string[]>([]);
  useEffect(() => {
    api
      .listUserWorkflows()
      .then((files) => setUserFiles(files.filter((f) => f.toLowerCase().endsWith('.json')).sort((a, b) => a.localeCompare(b))))
      // No workflows/ folder yet (404: ComfyUI never saved one) lists nothing; the dialog still lists ours.
      .catch(() => setUserFiles([]));
  }, []);
  const shown = (list ?? []).filter((w) => w.name.toLowerCase().includes(filter.toLowerCase()));
  const shownUser = userFiles.filter((f) => f.toLowerCase().includes(filter.toLowerCase()));

  return (
    <Modal title="Open workflow" onClose={close} wide>
      <input type="search" placeholder="Filter by name…" aria-label="Filter workflows" value={filter} onChange={(e) => setFilter(e.target.value)} />
      {error && <p className="lf-error">Could not list workflows: {error}</p>}
      {list === null && !error && <p>Loading…</p>}
      <ul className="lf-workflow-list">
        {shown.map((w) => (
          <li key={w.name} className={w.name === current ? 'lf-current' : ''}>
            <button type="button" className="lf-link lf-workflow-open" onClick={() => void openWorkflow(w.name)} aria-label={`Open ${w.name}`}>
              {w.name}
            </button>
            <span className="lf-meta">
              rev {w.revision} · {new Date(w.updatedAt).toLocaleString()}
            </span>
            <button type="button" aria-label={`Rename ${w.name}`} onClick={async () => (await renameWorkflow(w.name, w.revision)) && reload()}>
              Rename
            </button>
            <button type="button" className="lf-danger" aria-label={`Delete ${w.name}`} onClick={async () => (await deleteWorkflow(w.name, w.revision)) && reload()}>
              Delete
            </button>
          </li>
        ))}
        {list !== null && shown.length === 0 && <li className="lf-empty">{list.length === 0 ? 'No saved workflows yet: use Save.' : 'No workflow matches.'}</li>}
      </ul>
      {shownUser.length > 0 && (
        <>
          <h3 className="lf-list-heading">Saved by ComfyUI (user workflows)</h3>
          <ul className="lf-workflow-list" aria-label="ComfyUI user workflows">
            {shownUser.map((file) => (
              <li key={file}>
                <button type="button" className="lf-link lf-workflow-open" onClick={() => void openUserWorkflow(file)} aria-label={`Open ComfyUI workflow ${file}`}>
                  {file}
                </button>
                <span className="lf-meta">workflows/{file}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </Modal>
  );
}
