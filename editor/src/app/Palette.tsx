/** The node palette: every node type from the server, grouped by category, with search. Drag one onto the canvas, or click to add it in the middle. */
import { memo, useDeferredValue, useMemo, useState, type DragEvent } from 'react';

import { searchCatalog } from '../graph/catalog.ts';
import { type NodeSpec } from '../../../protocol/index.ts';
import { graphStore, useGraph } from '../graph/store.ts';
import { NODE_TYPE_MIME } from './Canvas.tsx';
import { exportNodeType } from './subgraph.ts';
import { viewCenter } from './view.ts';
import { useUi } from './ui-store.ts';

export function Palette() {
  const catalog = useGraph((s) => s.catalog);
  const error = useUi((s) => s.catalogError);
  const [query, setQuery] = useState('');
  const deferred = useDeferredValue(query);
  const groups = useMemo(() => searchCatalog(catalog, deferred), [catalog, deferred]);

  return (
    <aside className="lf-palette" aria-label="Node palette">
      <input className="lf-palette-search" type="search" placeholder="Search nodes…" aria-label="Search nodes" value={query} onChange={(e) => setQuery(e.target.value)} />
      {error && <div className="lf-palette-error">{error}</div>}
      <div className="lf-palette-groups">
        {groups.map((group) => (
          <details key={group.category} open>
            <summary>
              {group.category} <span className="lf-count">{group.specs.length}</span>
            </summary>
            <ul>
              {group.specs.map((spec) => (
                <PaletteItem key={spec.type} spec={spec} />
              ))}
            </ul>
          </details>
        ))}
        {groups.length === 0 && catalog.size > 0 && <p className="lf-empty">No node type matches "{query}".</p>}
      </div>
    </aside>
  );
}

const PaletteItem = memo(function PaletteItem({ spec }: { spec: NodeSpec }) {
  const onDragStart = (event: DragEvent) => {
    event.dataTransfer.setData(NODE_TYPE_MIME, spec.type);
    event.dataTransfer.effectAllowed = 'move';
  };
  return (
    <li className="lf-palette-item">
      <button
        type="button"
        draggable
        onDragStart={onDragStart}
        onClick={() => graphStore.getState().addNode(spec.type, viewCenter())}
        title={`${spec.description || spec.type}\nDrag onto the canvas, or click to add.`}
        data-node-type={spec.type}
      >
        {spec.displayName}
        {spec.pack && <span className="lf-pack"> · {spec.pack}</span>}
      </button>
      {spec.pack && (
        <button type="button" className="lf-icon-button" aria-label={`Export node type ${spec.type}`} title="Export this node type as a file" onClick={() => void exportNodeType(spec.type)}>
          ⤓
        </button>
      )}
    </li>
  );
});
