/** The double-click search: type to filter node types, Enter (or click) adds the highlighted one where you clicked. */
import { useEffect, useMemo, useRef, useState } from 'react';

import { searchFlat } from '../graph/catalog.ts';
import { graphStore, useGraph } from '../graph/store.ts';
import { useUi } from './ui-store.ts';

export function QuickAdd() {
  const at = useUi((s) => s.quickAdd);
  const catalog = useGraph((s) => s.catalog);
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const results = useMemo(() => searchFlat(catalog, query, 12), [catalog, query]);

  useEffect(() => {
    if (at) {
      setQuery('');
      setIndex(0);
      input.current?.focus();
    }
  }, [at]);

  if (!at) return null;
  const close = () => useUi.setState({ quickAdd: null });
  const add = (type: string) => {
    graphStore.getState().addNode(type, at.flow);
    close();
  };
  const left = Math.min(at.screen.x, window.innerWidth - 340);
  const top = Math.min(at.screen.y, window.innerHeight - 380);

  return (
    <div className="lf-quick-add" style={{ left, top }} role="dialog" aria-label="Add a node">
      <input
        ref={input}
        type="search"
        placeholder="Search node types…"
        aria-label="Search node types"
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setIndex(0);
        }}
        onBlur={() => setTimeout(close, 150)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') close();
          else if (e.key === 'ArrowDown') setIndex((i) => Math.min(results.length - 1, i + 1));
          else if (e.key === 'ArrowUp') setIndex((i) => Math.max(0, i - 1));
          else if (e.key === 'Enter' && results[index]) add(results[index].type);
          else return;
          e.preventDefault();
        }}
      />
      <ul role="listbox" aria-label="Node types">
        {results.map((spec, i) => (
          <li key={spec.type} role="option" aria-selected={i === index} className={i === index ? 'lf-active' : ''} onMouseDown={(e) => e.preventDefault()} onClick={() => add(spec.type)} onMouseEnter={() => setIndex(i)}>
            <span className="lf-qa-name">{spec.displayName}</span>
            <span className="lf-qa-category">{spec.category}</span>
          </li>
        ))}
        {results.length === 0 && <li className="lf-empty">No node type matches "{query}".</li>}
      </ul>
    </div>
  );
}
