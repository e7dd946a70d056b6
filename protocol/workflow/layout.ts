/**
 * Where nodes go when a workflow has no positions (ComfyUI API files): columns by longest path from a
 * source, rows in id order within a column.
 *
 * @example
 *   columnLayout(graph);                                        // 320 px columns, 240 px rows
 *   columnLayout(graph, { columnWidth: 340, rowHeight: 300 });  // the editor's node size
 */
import { type ExecutionGraph, nodeLinks } from './execution.ts';

export interface LayoutSpacing {
  columnWidth: number;
  rowHeight: number;
}

export const DEFAULT_SPACING: LayoutSpacing = { columnWidth: 320, rowHeight: 240 };

/** Column = longest path from a source (Kahn's algorithm, no recursion); nodes in a cycle stay in column 0. */
export function columnLayout(graph: ExecutionGraph, spacing: LayoutSpacing = DEFAULT_SPACING): Record<string, { x: number; y: number }> {
  const ids = Object.keys(graph);
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  const consumers = new Map<string, string[]>();
  for (const id of ids) {
    for (const [, [from]] of nodeLinks(graph[id])) {
      if (!indegree.has(from)) continue;
      indegree.set(id, indegree.get(id)! + 1);
      const list = consumers.get(from);
      if (list) list.push(id);
      else consumers.set(from, [id]);
    }
  }
  const column = new Map<string, number>(ids.map((id) => [id, 0]));
  const ready = ids.filter((id) => indegree.get(id) === 0);
  while (ready.length > 0) {
    const id = ready.pop()!;
    for (const consumer of consumers.get(id) ?? []) {
      column.set(consumer, Math.max(column.get(consumer)!, column.get(id)! + 1));
      indegree.set(consumer, indegree.get(consumer)! - 1);
      if (indegree.get(consumer) === 0) ready.push(consumer);
    }
  }
  const rows = new Map<number, number>();
  const layout: Record<string, { x: number; y: number }> = {};
  for (const id of ids) {
    const c = column.get(id)!;
    const r = rows.get(c) ?? 0;
    rows.set(c, r + 1);
    layout[id] = { x: c * spacing.columnWidth, y: r * spacing.rowHeight };
  }
  return layout;
}
