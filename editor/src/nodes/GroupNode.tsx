/**
 * A group: a titled, coloured rectangle behind nodes. Dragging its title bar moves it with the nodes
 * inside it (the store moves them); double-clicking the title renames it; selected, it can be resized.
 * Its body lets clicks through to the canvas (pan, box-select), as in ComfyUI.
 */
import { NodeResizer, type NodeProps } from '@xyflow/react';
import { memo, useCallback } from 'react';

import { askText } from '../app/ui-store.ts';
import { isColor } from '../graph/convert.ts';
import { graphStore } from '../graph/store.ts';
import type { FlowGroup } from '../graph/types.ts';

/** ComfyUI's default group colour. */
const DEFAULT_COLOR = '#3f789e';

function GroupNodeImpl({ id, data, selected }: NodeProps<FlowGroup>) {
  const color = isColor(data.color) ? data.color : DEFAULT_COLOR;
  const rename = useCallback(async () => {
    const title = await askText('Rename group', 'Title', data.title, 'Rename');
    if (title !== null) graphStore.getState().renameGroup(id, title.trim() === '' ? 'Group' : title);
  }, [id, data.title]);
  return (
    <div className={`lf-group-box${selected ? ' lf-selected' : ''}`} style={{ borderColor: color, background: `color-mix(in srgb, ${color} 25%, transparent)` }} data-group-id={id} role="group" aria-label={`Group ${data.title}`}>
      <NodeResizer isVisible={selected ?? false} minWidth={120} minHeight={60} color={color} />
      <div className="lf-group-title" style={{ background: `color-mix(in srgb, ${color} 60%, transparent)`, fontSize: Math.min(48, Math.max(10, data.fontSize ?? 24)) * 0.75 }} onDoubleClick={rename} title="Drag to move the group and its nodes; double-click to rename">
        {data.title}
      </div>
    </div>
  );
}

export const GroupNode = memo(GroupNodeImpl);
