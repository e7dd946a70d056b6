/**
 * The saved form: the editor's view, what the workflow store keeps:
 *   { "version": 1, "name": "txt2img",
 *     "nodes": [{ "id": "3", "type": "KSampler", "position": { "x": 0, "y": 0 }, "widgets": { "seed": 5 } }],
 *     "edges": [{ "from": { "node": "4", "output": 0 }, "to": { "node": "3", "input": "model" } }] }
 * latentflow's own saved form before it saved ComfyUI's UI format (ui.ts): still read everywhere.
 *
 * @example
 *   const { workflow, issues } = parseSavedWorkflow(JSON.parse(text));
 */
import { z } from 'zod';

import type { Issue } from '../issues.ts';
import { nodeIdInNodesArray, ownKeys, RESERVED_KEY, reservedKeyIssue, zodIssues } from './shape-issues.ts';

export interface SavedNode {
  id: string;
  type: string;
  /** The node type's version when saved; an older one is migrated by the node's `migrate`. */
  version?: number;
  title?: string;
  position: { x: number; y: number };
  size?: { width: number; height: number };
  /** Widget values by input name. */
  widgets: Record<string, unknown>;
  /** ComfyUI's node mode: 2 muted (not run), 4 bypassed (inputs passed through); absent or 0: runs. */
  mode?: number;
  /** ComfyUI's title-bar and body colours (CSS colours, e.g. "#223"). */
  color?: string;
  bgcolor?: string;
  /** litegraph's flags (`collapsed`, `pinned`) and properties, kept as the file had them. */
  flags?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

export interface SavedEdge {
  from: { node: string; output: number };
  to: { node: string; input: string };
  /** The last native reroute (a dot on the link, `extra.reroutes` of the workflow) the link passes through. */
  parentId?: number;
}

export interface SavedWorkflow {
  /** Version of this saved format. */
  version: 1;
  name: string;
  nodes: SavedNode[];
  edges: SavedEdge[];
  /** Editor state that is not the graph (viewport, seed controls, `groups`, native `reroutes`, ...). */
  extra?: Record<string, unknown>;
}

/** A group: a titled, coloured rectangle behind nodes (ComfyUI's `groups`), kept in the saved form's `extra.groups`. */
export interface SavedGroup {
  title: string;
  /** [x, y, width, height]. */
  bounding: [number, number, number, number];
  color?: string;
  font_size?: number;
}

/** A native reroute: a dot links pass through (ComfyUI's `extra.reroutes`), kept in `extra.reroutes`. */
export interface SavedReroute {
  id: number;
  /** The reroute before this one on the way from the link's source. */
  parentId?: number;
  pos: [number, number];
}

const isFinitePair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);

/** The groups of a saved workflow (malformed entries are left out). */
export function savedGroups(saved: Pick<SavedWorkflow, 'extra'>): SavedGroup[] {
  const raw = saved.extra?.groups;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((g: Partial<SavedGroup> | null) => {
    const b = g?.bounding;
    if (!Array.isArray(b) || b.length < 4 || !b.slice(0, 4).every(Number.isFinite)) return [];
    return [{
      title: typeof g!.title === 'string' ? g!.title : 'Group',
      bounding: [b[0], b[1], b[2], b[3]] as [number, number, number, number],
      ...(typeof g!.color === 'string' ? { color: g!.color } : {}),
      ...(typeof g!.font_size === 'number' ? { font_size: g!.font_size } : {}),
    }];
  });
}

/** The native reroutes of a saved workflow (malformed entries are left out). */
export function savedReroutes(saved: Pick<SavedWorkflow, 'extra'>): SavedReroute[] {
  const raw = saved.extra?.reroutes;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((r: Partial<SavedReroute> | null) =>
    Number.isInteger(r?.id) && isFinitePair(r?.pos)
      ? [{ id: r!.id!, ...(Number.isInteger(r!.parentId) ? { parentId: r!.parentId } : {}), pos: [r!.pos![0], r!.pos![1]] as [number, number] }]
      : [],
  );
}

const nodeIdSchema = z.union([z.string().min(1), z.number().int()]).transform(String);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');

const savedNodeSchema = z.object({
  id: nodeIdSchema,
  type: z.string().min(1),
  version: z.number().int().min(1).optional(),
  title: z.string().optional(),
  position: z.object({ x: finite, y: finite }),
  size: z.object({ width: finite, height: finite }).optional(),
  widgets: z.record(z.string(), z.unknown()).default({}),
  mode: z.number().int().min(0).max(4).optional(),
  color: z.string().optional(),
  bgcolor: z.string().optional(),
  flags: z.record(z.string(), z.unknown()).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const savedEdgeSchema = z.object({
  from: z.object({ node: nodeIdSchema, output: z.number().int().min(0) }),
  to: z.object({ node: nodeIdSchema, input: z.string().min(1) }),
  parentId: z.number().int().optional(),
});

/** zod schema of the saved form. */
export const savedWorkflowSchema = z.object({
  version: z.literal(1),
  name: z.string(),
  nodes: z.array(savedNodeSchema),
  edges: z.array(savedEdgeSchema).default([]),
  extra: z.record(z.string(), z.unknown()).optional(),
});

function savedReservedKeys(json: unknown): Issue[] {
  const issues: Issue[] = [];
  const { nodes, edges } = (json ?? {}) as { nodes?: unknown; edges?: unknown };
  if (Array.isArray(nodes)) {
    nodes.forEach((node: { id?: unknown; widgets?: unknown } | null, i) => {
      const id = typeof node?.id === 'string' || typeof node?.id === 'number' ? String(node.id) : undefined;
      if (id === RESERVED_KEY) issues.push(reservedKeyIssue('a node id', ['nodes', i, 'id']));
      else if (ownKeys(node?.widgets).includes(RESERVED_KEY)) issues.push(reservedKeyIssue('a widget name', ['nodes', i, 'widgets', RESERVED_KEY], id));
    });
  }
  if (Array.isArray(edges)) {
    edges.forEach((edge: { to?: { node?: unknown; input?: unknown } } | null, i) => {
      if (edge?.to?.node === RESERVED_KEY || edge?.to?.input === RESERVED_KEY) issues.push(reservedKeyIssue('a node id or input name', ['edges', i, 'to']));
    });
  }
  return issues;
}

/** Parses the saved form; on failure every shape problem is an issue. */
export function parseSavedWorkflow(json: unknown): { workflow?: SavedWorkflow; issues: Issue[] } {
  const reserved = savedReservedKeys(json);
  if (reserved.length > 0) return { issues: reserved };
  const parsed = savedWorkflowSchema.safeParse(json);
  if (!parsed.success) return { issues: zodIssues(parsed.error, 'saved', nodeIdInNodesArray(json)) };
  return { workflow: parsed.data as SavedWorkflow, issues: [] };
}

/** Whether JSON looks like the saved form (has a `nodes` array) rather than the execution form (check isUiForm first: ComfyUI's UI format has one too). */
export function isSavedForm(json: unknown): boolean {
  return typeof json === 'object' && json !== null && Array.isArray((json as { nodes?: unknown }).nodes);
}
