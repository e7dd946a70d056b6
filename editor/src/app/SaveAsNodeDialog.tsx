/** "Save as node": names the selection as a node type, shows the sockets it will have, and sends it to the server's JSON pack. */
import { useMemo, useState } from 'react';

import { graphStore } from '../graph/store.ts';
import { saveSelectionAsNode, subgraphOfSelection } from './controller.ts';
import { Modal } from './Modal.tsx';
import { useUi } from './ui-store.ts';

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function SaveAsNodeDialog() {
  const open = useUi((s) => s.saveAsNodeDialog);
  return open ? <SaveAsNodeForm /> : null;
}

function SaveAsNodeForm() {
  const [name, setName] = useState('My node');
  const [type, setType] = useState('MyNode');
  const [description, setDescription] = useState('');
  const [busy, setBusy] = useState(false);
  const close = () => useUi.setState({ saveAsNodeDialog: false });
  const preview = useMemo(() => {
    const state = graphStore.getState();
    return subgraphOfSelection(state, state.catalog, { name, type, description });
  }, [name, type, description]);
  const typeOk = TYPE_NAME.test(type);

  return (
    <Modal title="Save selection as a node type" onClose={close} wide>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!typeOk || busy) return;
          setBusy(true);
          const ok = await saveSelectionAsNode({ name, type, description });
          setBusy(false);
          if (ok) close();
        }}
      >
        <label className="lf-field">
          <span>Name</span>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="lf-field">
          <span>Type id (letters, digits, _)</span>
          <input type="text" value={type} onChange={(e) => setType(e.target.value)} aria-invalid={!typeOk} />
        </label>
        <label className="lf-field">
          <span>Description</span>
          <textarea value={description} rows={2} onChange={(e) => setDescription(e.target.value)} />
        </label>
        {preview ? (
          <div className="lf-ports">
            <div>
              <h3>Inputs</h3>
              <ul>{preview.inputs.length === 0 ? <li className="lf-empty">none</li> : preview.inputs.map((p) => <li key={p.name}>{p.name} · {p.type}</li>)}</ul>
            </div>
            <div>
              <h3>Outputs</h3>
              <ul>{preview.outputs.length === 0 ? <li className="lf-empty">none</li> : preview.outputs.map((p) => <li key={p.name}>{p.name} · {p.type}</li>)}</ul>
            </div>
            <p className="lf-meta">{preview.workflow.nodes.length} nodes inside. Widget values are saved with it.</p>
          </div>
        ) : (
          <p className="lf-error">Select some nodes first.</p>
        )}
        <footer>
          <button type="button" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="lf-primary" disabled={!typeOk || !preview || busy}>
            Save node type
          </button>
        </footer>
      </form>
    </Modal>
  );
}
