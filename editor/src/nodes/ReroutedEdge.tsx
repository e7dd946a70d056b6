/**
 * A link through native reroutes (ComfyUI's dots on links, `extra.reroutes`): drawn from its output
 * through each dot in order (the link's `parentId` is the last one; each dot's `parentId` the one before)
 * to its input, with the dots shown. A dot is dragged with the mouse (one undo step per drag).
 */
import { BaseEdge, type EdgeProps } from '@xyflow/react';
import { memo, type PointerEvent } from 'react';

import { screenToFlow } from '../app/view.ts';
import { graphStore, useGraph } from '../graph/store.ts';
import type { FlowEdge, NativeReroute } from '../graph/types.ts';

/** The dots from the source's side to the target's, ending at `last` (a loop of parents stops). */
export function rerouteChain(reroutes: readonly NativeReroute[], last: number | undefined): NativeReroute[] {
  const byId = new Map(reroutes.map((r) => [r.id, r]));
  const chain: NativeReroute[] = [];
  for (let id = last; id !== undefined && byId.has(id) && !chain.some((r) => r.id === id); id = byId.get(id)!.parentId) chain.push(byId.get(id)!);
  return chain.reverse();
}

/** A horizontal S-curve from a to b, like React Flow's bezier links. */
function segment(a: { x: number; y: number }, b: { x: number; y: number }): string {
  const dx = Math.max(25, Math.abs(b.x - a.x) / 2);
  return ` C ${a.x + dx} ${a.y}, ${b.x - dx} ${b.y}, ${b.x} ${b.y}`;
}

/** Drags a dot: it keeps its offset from the pointer, in canvas coordinates (zoom and pan included). */
function dragDot(event: PointerEvent<SVGCircleElement>, reroute: NativeReroute): void {
  if (event.button !== 0) return;
  event.stopPropagation();
  const dot = event.currentTarget;
  dot.setPointerCapture(event.pointerId);
  const start = screenToFlow({ x: event.clientX, y: event.clientY });
  const offset = { x: reroute.pos.x - start.x, y: reroute.pos.y - start.y };
  graphStore.getState().beginDrag();
  const at = (e: globalThis.PointerEvent) => {
    const p = screenToFlow({ x: e.clientX, y: e.clientY });
    return { x: p.x + offset.x, y: p.y + offset.y };
  };
  const move = (e: globalThis.PointerEvent) => graphStore.getState().moveReroute(reroute.id, at(e), false);
  const up = (e: globalThis.PointerEvent) => {
    graphStore.getState().moveReroute(reroute.id, at(e), true);
    dot.removeEventListener('pointermove', move);
    dot.removeEventListener('pointerup', up);
    dot.removeEventListener('pointercancel', up);
  };
  dot.addEventListener('pointermove', move);
  dot.addEventListener('pointerup', up);
  dot.addEventListener('pointercancel', up);
}

function ReroutedEdgeImpl({ id, sourceX, sourceY, targetX, targetY, data, style, markerEnd, interactionWidth }: EdgeProps<FlowEdge>) {
  const reroutes = useGraph((s) => s.reroutes);
  const chain = rerouteChain(reroutes, data?.parentId);
  const points = [{ x: sourceX, y: sourceY }, ...chain.map((r) => r.pos), { x: targetX, y: targetY }];
  let path = `M ${sourceX} ${sourceY}`;
  for (let i = 1; i < points.length; i++) path += segment(points[i - 1], points[i]);
  return (
    <>
      <BaseEdge id={id} path={path} style={style} markerEnd={markerEnd} interactionWidth={interactionWidth} />
      {chain.map((r) => (
        <circle
          key={r.id}
          className="lf-native-reroute nodrag nopan"
          data-reroute-id={r.id}
          cx={r.pos.x}
          cy={r.pos.y}
          r={6}
          fill={style?.stroke ?? '#999'}
          onPointerDown={(event) => dragDot(event, r)}
        />
      ))}
    </>
  );
}

export const ReroutedEdge = memo(ReroutedEdgeImpl);
