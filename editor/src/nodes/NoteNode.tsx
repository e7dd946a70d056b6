/**
 * ComfyUI's Note and MarkdownNote: a coloured card of text that never runs. A Note is edited in place;
 * a MarkdownNote shows its text rendered (Markdown.tsx, no raw HTML) and is edited after a double-click.
 */
import type { NodeProps } from '@xyflow/react';
import { memo, useCallback, useState } from 'react';

import { askText } from '../app/ui-store.ts';
import { graphStore } from '../graph/store.ts';
import type { FlowNode } from '../graph/types.ts';
import { Markdown } from './Markdown.tsx';
import { colorStyles, modeLook } from './node-look.ts';

function NoteNodeImpl({ id, data, selected }: NodeProps<FlowNode>) {
  const markdown = data.nodeType === 'MarkdownNote';
  const [editing, setEditing] = useState(false);
  const text = typeof data.widgets.text === 'string' ? data.widgets.text : '';
  const title = data.title ?? (markdown ? 'Markdown Note' : 'Note');
  const setText = useCallback((value: string) => graphStore.getState().setWidget(id, 'text', value), [id]);
  const rename = useCallback(async () => {
    const next = await askText('Rename note', 'Title (empty: the type name)', title, 'Rename');
    if (next !== null) graphStore.getState().setTitle(id, next);
  }, [id, title]);
  const mode = modeLook(data.mode);
  const colors = colorStyles(data);
  const classes = ['lf-node', 'lf-note', selected ? 'lf-selected' : '', mode.className].filter(Boolean).join(' ');

  return (
    <div className={classes} style={colors.card} data-node-id={id} data-node-type={data.nodeType} data-mode={mode.name} role="group" aria-label={`${title} #${id}`}>
      <div className="lf-node-header" style={colors.header} onDoubleClick={rename}>
        <span className="lf-node-title">{title}</span>
        <span className="lf-node-id">#{id}</span>
      </div>
      {markdown && !editing ? (
        <div className="lf-note-body nodrag nowheel" onDoubleClick={() => setEditing(true)} title="Double-click to edit">
          {text.trim() === '' ? <p className="lf-empty">Double-click to write Markdown.</p> : <Markdown text={text} />}
        </div>
      ) : (
        <textarea
          className="lf-note-text nodrag nowheel"
          aria-label={`${title} text`}
          value={text}
          spellCheck={false}
          autoFocus={editing}
          onChange={(e) => setText(e.target.value)}
          onBlur={() => setEditing(false)}
        />
      )}
    </div>
  );
}

export const NoteNode = memo(NoteNodeImpl);
