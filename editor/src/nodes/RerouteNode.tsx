/** ComfyUI's Reroute node: a dot that passes one link on (any type in; out, the type of what feeds it). */
import { Handle, Position, type NodeProps } from '@xyflow/react';
import { memo } from 'react';

import { REROUTE_INPUT } from '../../../protocol/index.ts';
import type { FlowNode } from '../graph/types.ts';
import { modeLook } from './node-look.ts';

function RerouteNodeImpl({ id, data, selected }: NodeProps<FlowNode>) {
  const mode = modeLook(data.mode);
  const classes = ['lf-reroute', selected ? 'lf-selected' : '', mode.className].filter(Boolean).join(' ');
  return (
    <div className={classes} style={data.color ? { background: data.color } : undefined} data-node-id={id} data-node-type={data.nodeType} data-mode={mode.name} role="group" aria-label={`Reroute #${id}`}>
      <Handle type="target" position={Position.Left} id={REROUTE_INPUT} className="lf-handle lf-reroute-handle" aria-label="input (any type)" />
      <Handle type="source" position={Position.Right} id="0" className="lf-handle lf-reroute-handle" aria-label="output" />
    </div>
  );
}

export const RerouteNode = memo(RerouteNodeImpl);
