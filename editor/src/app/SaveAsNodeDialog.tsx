/**
 * "Save as node": names the selection as a node type, picks which widgets become inputs, shows the
 * sockets it will have, and sends it to the server's JSON pack.
 */
import { useMemo, useState } from 'react';

import { isWidgetInput } from '../../../protocol/index.ts';
import { graphStore } from '../graph/store.ts';
import { saveSelectionAsNode, subgraphOfSelection } from './subgraph.ts';
import { Modal } from './Modal.tsx';
import { useUi } from './ui-store.ts';

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function SaveAsNodeDialog() {
  const open = useUi((s) => s.saveAsNodeDialog);
  return open ? <SaveAsNodeForm /> : null;
}

function SaveAsNodeForm() {
  const [displayName, setDisplayName] = useState('My node');
  const [type, setType] = useState('MyNode');
  const [description, setDescription] = useState('');
  const [exposed, setExposed] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const close = () => useUi.setState({ saveAsNodeDialog: false });

  const widgets = useMemo(() => {
    const { nodes, edges, catalog } = graphStore.getState();
    return nodes
      .filter((n) => n.selected)
      .flatMap((node) =>
        (catalog.get(node.data.nodeType)?.inputs ?? [])
          .filter((input) => isWidgetInput(input) && !edges.some((e) => e.target === node.id && e.targetHandle === input.name))
          .map((input) => ({ key: `${node.id}:${input.name}`, label: `${node.data.title ?? node.data.nodeType} #${node.id} · ${input.name}` })),
      );
  }, []);
  const meta = { displayName, type, description, exposedWidgets: exposed };
  const cut = useMemo(() => {
    const state = graphStore.getState();
    return subgraphOfSelection(state, state.catalog, meta);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [displayName, type, description, exposed]);
  const preview = cut?.subgraph ?? null;
  const typeOk = TYPE_NAME.test(type);
  const innerCount = preview && 'nodes' in preview.workflow && Array.isArray(preview.workflow.nodes) ? preview.workflow.nodes.length : 0;

  return (
    <Modal title="Save selection as a node type" onClose={close} wide>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (!typeOk || busy) return;
          setBusy(true);
          const ok = await saveSelectionAsNode(meta);
          setBusy(false);
          if (ok) close();
        }}
      >
        <label className="lf-field">
          <span>Name (shown in the palette)</span>
          <input type="text" value={displayName} onChange={(e) => setDisplayName(e.target.value)} />
        </label>
        <label className="lf-field">
          <span>Type id (letters, digits, _)</span>
          <input type="text" value={type} onChange={(e) => setType(e.target.value)} aria-invalid={!typeOk} />
        </label>
        <label className="lf-field">
          <span>Description</span>
          <textarea value={description} rows={2} onChange={(e) => setDescription(e.target.value)} />
        </label>
        {widgets.length > 0 && (
          <fieldset className="lf-expose">
            <legend>Widgets to expose as inputs (the others keep their current values)</legend>
            {widgets.map((w) => (
              <label key={w.key} className="lf-boolean">
                <input
                  type="checkbox"
                  checked={exposed.includes(w.key)}
                  onChange={(e) => setExposed((list) => (e.target.checked ? [...list, w.key] : list.filter((k) => k !== w.key)))}
                />
                <span>{w.label}</span>
              </label>
            ))}
          </fieldset>
        )}
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
            <p className="lf-meta">{innerCount} nodes inside.</p>
          </div>
        ) : (
          <p className="lf-error">{cut ? `This selection cannot be a node type: ${cut.problems.join('; ')}.` : 'Select some nodes first.'}</p>
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
