/**
 * ComfyUI's UI format: the litegraph graph ComfyUI saves, ships as templates, and writes into the
 * `workflow` chunk of its PNGs. Version 0.4 (links as arrays, reroutes under `extra`) and 1.0 (links as
 * objects, `state`, top-level `reroutes`), both with `definitions.subgraphs`. Written from
 * ComfyUI_frontend's workflow schema (its fields and their meaning), loose where ComfyUI is loose: every
 * field this reader does not use is kept, so a file saved back loses nothing.
 *
 *   { "last_node_id": 9, "last_link_id": 9, "version": 0.4,
 *     "nodes": [{ "id": 3, "type": "KSampler", "pos": [863, 186], "size": [315, 262], "mode": 0,
 *                 "inputs": [{ "name": "model", "type": "MODEL", "link": 1 }, ...],
 *                 "outputs": [{ "name": "LATENT", "type": "LATENT", "links": [7] }],
 *                 "widgets_values": [156680208700286, "randomize", 20, 8, "euler", "normal", 1] }],
 *     "links": [[1, 4, 0, 3, 0, "MODEL"], ...], "groups": [], "extra": { "ds": { "scale": 1, "offset": [0, 0] } } }
 *
 * @example
 *   if (isUiForm(json)) { const { workflow, issues } = parseUiWorkflow(json); }
 */
import { z } from 'zod';

import type { Issue } from '../issues.ts';
import { nodeIdInNodesArray, zodIssues } from './shape-issues.ts';

/** litegraph node modes: 0 always, 1 on event, 2 never (muted: not run), 3 on trigger, 4 bypass (inputs passed through). */
export const NODE_MODE = { always: 0, onEvent: 1, never: 2, onTrigger: 3, bypass: 4 } as const;

/** The ids of a subgraph's input and output boundary nodes (links from -10 are subgraph inputs, links to -20 its outputs). */
export const SUBGRAPH_INPUT_NODE = -10;
export const SUBGRAPH_OUTPUT_NODE = -20;

const nodeId = z.union([z.number().int(), z.string().min(1)]);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
/** `[x, y]`, or the `{ "0": x, "1": y }` some old files hold (a Float32Array serialised as an object). */
const pair = z.union([
  z.tuple([finite, finite]).rest(z.unknown()),
  z.looseObject({ 0: finite, 1: finite }).transform((o) => [o[0], o[1]]),
]).transform((p) => [p[0], p[1]] as [number, number]);

const uiInputSchema = z.looseObject({
  name: z.string(),
  type: z.union([z.string(), z.number()]).transform(String).default('*'),
  link: z.number().int().nullable().optional(),
  /** Set on an input that is (or can be) fed to a widget: the widget's name. */
  widget: z.looseObject({ name: z.string() }).optional(),
  label: z.string().optional(),
  localized_name: z.string().optional(),
});

const uiOutputSchema = z.looseObject({
  name: z.string(),
  type: z.union([z.string(), z.number()]).transform(String).default('*'),
  links: z.array(z.number().int()).nullable().optional(),
  slot_index: z.number().int().optional(),
  label: z.string().optional(),
});

const uiNodeSchema = z.looseObject({
  id: nodeId,
  type: z.string().min(1),
  pos: pair,
  size: pair.optional(),
  flags: z.looseObject({ collapsed: z.boolean().optional(), pinned: z.boolean().optional() }).optional(),
  order: z.number().optional(),
  mode: z.number().int().min(0).max(4).default(0),
  inputs: z.array(uiInputSchema).optional(),
  outputs: z.array(uiOutputSchema).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
  /** Widget values in the node type's widget order (some custom nodes save an object by name). */
  widgets_values: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
  title: z.string().optional(),
  color: z.string().optional(),
  bgcolor: z.string().optional(),
});

/** 0.4: `[id, origin_id, origin_slot, target_id, target_slot, type]`; 1.0: the same as an object (plus `parentId`, a native reroute). */
const linkTuple = z.tuple([z.number().int(), nodeId, z.number().int(), nodeId, z.number().int(), z.unknown()]).rest(z.unknown());
const linkObject = z.looseObject({
  id: z.number().int(),
  origin_id: nodeId,
  origin_slot: z.number().int(),
  target_id: nodeId,
  target_slot: z.number().int(),
  type: z.unknown().optional(),
  parentId: z.number().int().optional(),
});

const uiGroupSchema = z.looseObject({
  id: z.number().int().optional(),
  title: z.string().default('Group'),
  /** [x, y, width, height]. */
  bounding: z.tuple([finite, finite, finite, finite]),
  color: z.string().optional(),
  font_size: z.number().optional(),
});

const uiRerouteSchema = z.looseObject({
  id: z.number().int(),
  parentId: z.number().int().optional(),
  pos: pair,
  linkIds: z.array(z.number().int()).optional(),
});

const subgraphSlotSchema = z.looseObject({
  id: z.string().optional(),
  name: z.string(),
  type: z.union([z.string(), z.number()]).transform(String).default('*'),
  linkIds: z.array(z.number().int()).optional(),
  label: z.string().optional(),
});

/** The graph part a workflow and a subgraph definition share. */
const graphShape = {
  nodes: z.array(uiNodeSchema),
  links: z.array(z.union([linkTuple, linkObject])).nullable().optional(),
  groups: z.array(uiGroupSchema).optional(),
  reroutes: z.array(uiRerouteSchema).optional(),
  extra: z.looseObject({
    ds: z.looseObject({ scale: finite, offset: pair }).optional(),
    reroutes: z.array(uiRerouteSchema).optional(),
  }).nullable().optional(),
};

const subgraphSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string().default('Subgraph'),
  inputs: z.array(subgraphSlotSchema).default([]),
  outputs: z.array(subgraphSlotSchema).default([]),
  ...graphShape,
});

/** zod schema of ComfyUI's UI format (0.4 and 1.0). */
export const uiWorkflowSchema = z.looseObject({
  version: z.number().optional(),
  last_node_id: nodeId.optional(),
  last_link_id: z.number().optional(),
  state: z.looseObject({}).optional(),
  ...graphShape,
  definitions: z.looseObject({ subgraphs: z.array(subgraphSchema).optional() }).nullable().optional(),
});

export type UiNodeInput = z.output<typeof uiInputSchema>;
export type UiNodeOutput = z.output<typeof uiOutputSchema>;
export type UiNode = z.output<typeof uiNodeSchema>;
export type UiGroup = z.output<typeof uiGroupSchema>;
export type UiReroute = z.output<typeof uiRerouteSchema>;
export type UiSubgraph = z.output<typeof subgraphSchema>;
export type UiWorkflow = z.output<typeof uiWorkflowSchema>;

/** One link, whichever way the file wrote it. */
export interface UiLink {
  id: number;
  originId: string;
  originSlot: number;
  targetId: string;
  targetSlot: number;
  type: string;
  /** The native reroute the link passes through (1.0's `parentId`, 0.4's `extra.linkExtensions`). */
  parentId?: number;
}

/** The links of a graph (workflow or subgraph) by id, tuples and objects alike. */
export function uiLinks(graph: { links?: UiWorkflow['links']; extra?: UiWorkflow['extra'] }): Map<number, UiLink> {
  const parents = new Map<number, number>();
  const extensions = (graph.extra as { linkExtensions?: unknown } | null | undefined)?.linkExtensions;
  if (Array.isArray(extensions)) {
    for (const e of extensions as Array<{ id?: unknown; parentId?: unknown }>) {
      if (typeof e?.id === 'number' && typeof e.parentId === 'number') parents.set(e.id, e.parentId);
    }
  }
  const out = new Map<number, UiLink>();
  for (const raw of graph.links ?? []) {
    const link: UiLink = Array.isArray(raw)
      ? { id: raw[0], originId: String(raw[1]), originSlot: raw[2], targetId: String(raw[3]), targetSlot: raw[4], type: String(raw[5] ?? '*') }
      : { id: raw.id, originId: String(raw.origin_id), originSlot: raw.origin_slot, targetId: String(raw.target_id), targetSlot: raw.target_slot, type: String(raw.type ?? '*'), ...(raw.parentId !== undefined ? { parentId: raw.parentId } : {}) };
    const parent = link.parentId ?? parents.get(link.id);
    out.set(link.id, parent !== undefined ? { ...link, parentId: parent } : link);
  }
  return out;
}

/**
 * Whether JSON is ComfyUI's UI format rather than latentflow's own saved form: a `nodes` array with a
 * `links` array, litegraph's `last_node_id`/`state`, or nodes placed by `pos` (latentflow's old form
 * has `edges` and `position`).
 */
export function isUiForm(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return false;
  const o = json as { nodes?: unknown; links?: unknown; edges?: unknown; last_node_id?: unknown; state?: unknown };
  if (!Array.isArray(o.nodes) || Array.isArray(o.edges)) return false;
  if (Array.isArray(o.links) || o.last_node_id !== undefined || o.state !== undefined) return true;
  return o.nodes.some((n) => typeof n === 'object' && n !== null && 'pos' in n);
}

/** Parses the UI format; on failure every shape problem is an issue naming the node it is in. */
export function parseUiWorkflow(json: unknown): { workflow?: UiWorkflow; issues: Issue[] } {
  const parsed = uiWorkflowSchema.safeParse(json);
  if (parsed.success) return { workflow: parsed.data, issues: [] };
  return { issues: zodIssues(parsed.error, 'ComfyUI UI', nodeIdInNodesArray(json)) };
}
