/**
 * Groups: which nodes a group holds and the rectangle around a selection. A group holds what lies in it
 * when a drag starts (a node whose centre is inside, a native reroute whose dot is), as ComfyUI's
 * frontend decides; nothing is stored, so moving a node into or out of a group is just dragging it.
 */
import type { FlowNode, NativeReroute } from './types.ts';

/** [x, y, width, height]. */
export type Bounds = [number, number, number, number];

/** A node's size before React Flow has measured it. */
const UNMEASURED = { width: 280, height: 120 };
/** Room around the nodes of a new group, and for its title bar above them (ComfyUI's default title height). */
const PADDING = 10;
const TITLE_HEIGHT = 34;

function nodeRect(node: FlowNode): Bounds {
  return [node.position.x, node.position.y, node.measured?.width ?? node.width ?? UNMEASURED.width, node.measured?.height ?? node.height ?? UNMEASURED.height];
}

function inside([x, y, w, h]: Bounds, px: number, py: number): boolean {
  return px >= x && px <= x + w && py >= y && py <= y + h;
}

/** The nodes and native reroutes inside a group's rectangle. */
export function groupMembers(bounds: Bounds, nodes: readonly FlowNode[], reroutes: readonly NativeReroute[]): { nodes: Set<string>; reroutes: Set<number> } {
  const members = new Set<string>();
  for (const node of nodes) {
    const [x, y, w, h] = nodeRect(node);
    if (inside(bounds, x + w / 2, y + h / 2)) members.add(node.id);
  }
  return { nodes: members, reroutes: new Set(reroutes.filter((r) => inside(bounds, r.pos.x, r.pos.y)).map((r) => r.id)) };
}

/** The rectangle of a new group around `nodes`, with padding and room for its title. */
export function groupAround(nodes: readonly FlowNode[]): Bounds {
  const rects = nodes.map(nodeRect);
  const left = Math.min(...rects.map((r) => r[0])) - PADDING;
  const top = Math.min(...rects.map((r) => r[1])) - PADDING - TITLE_HEIGHT;
  const right = Math.max(...rects.map((r) => r[0] + r[2])) + PADDING;
  const bottom = Math.max(...rects.map((r) => r[1] + r[3])) + PADDING;
  return [left, top, right - left, bottom - top];
}
