/**
 * Subgraph JSON: a saved workflow fragment exposed as ONE node type. A subgraph declares its inputs
 * (widgets or sockets, each feeding one or more inner node inputs) and outputs (each taken from an inner
 * node's output). This is the shape of a JSON pack's entries, of POST /api/packs/subgraphs and of
 * GET /api/packs/subgraphs/:type; nodes/packs/subgraph.ts checks one and turns it into a node type.
 *
 * JSON (one entry of a pack's `subgraphs`):
 *   { "type": "ImagePartialInvert", "description": "...", "category": "image",
 *     "inputs":  [ { "name": "amount", "type": "FLOAT", "default": 0.5, "min": 0, "max": 1,
 *                    "targets": [ { "node": "2", "input": "blend_factor" } ] } ],
 *     "outputs": [ { "name": "IMAGE", "type": "IMAGE", "from": { "node": "2", "output": 0 } } ],
 *     "workflow": { "1": { "class_type": "...", "inputs": { ... } }, ... } }      (either workflow form)
 *
 * An input's `type` is a widget (INT, FLOAT, STRING, BOOLEAN, COMBO) or a socket type. A COMBO without
 * `options` takes its options from its first target (e.g. the checkpoint list of CheckpointLoaderSimple).
 * An input left unset with no `default` leaves its targets as the fragment has them.
 */
import { z } from 'zod';

import { SOCKET_TYPES, type SocketType, WIDGET_TYPES, type WidgetType } from './catalog.ts';
import type { ExecutionGraph } from './workflow/execution.ts';
import type { SavedWorkflow } from './workflow/saved.ts';

/** A widget input's type (object_info's names). */
export type SubgraphWidgetType = WidgetType;

/** One inner node input that a subgraph input feeds. */
export interface SubgraphTarget {
  node: string;
  input: string;
}

export interface SubgraphInputJson {
  name: string;
  type: SubgraphWidgetType | SocketType;
  description?: string;
  optional?: boolean;
  default?: unknown;
  min?: number;
  max?: number;
  step?: number;
  /** COMBO only; without it the options are those of the first target. */
  options?: string[];
  /** STRING only: a multi-line text box. */
  multiline?: boolean;
  targets: SubgraphTarget[];
}

export interface SubgraphOutputJson {
  name: string;
  type: SocketType;
  description?: string;
  from: { node: string; output: number };
}

/** A subgraph as a pack's JSON declares it (ids as strings). */
export interface SubgraphJson {
  type: string;
  version?: number;
  description?: string;
  category?: string;
  displayName?: string;
  /** Marks the node as an output node in the catalog (e.g. the fragment ends in SaveImage). */
  outputNode?: boolean;
  inputs: SubgraphInputJson[];
  outputs: SubgraphOutputJson[];
  /** The fragment, saved or execution form (checked by checkSubgraph, nodes/packs/subgraph.ts). */
  workflow: SavedWorkflow | ExecutionGraph;
}

/** A pure-JSON pack: `latentflow.json` in a pack folder, or a single `<name>.latentflow.json` file. */
export interface SubgraphPackJson {
  name: string;
  version: string;
  description?: string;
  subgraphs: SubgraphJson[];
}

const nodeId = z.union([z.string().min(1), z.number().int()]).transform(String);
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier (letters, digits, _)');
const inputType = z.union([z.enum(WIDGET_TYPES), z.enum(SOCKET_TYPES)]);

const subgraphInputSchema = z.strictObject({
  name: identifier,
  type: inputType,
  description: z.string().optional(),
  optional: z.boolean().optional(),
  default: z.unknown().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  step: z.number().optional(),
  options: z.array(z.string()).min(1).optional(),
  multiline: z.boolean().optional(),
  targets: z.array(z.strictObject({ node: nodeId, input: identifier })).min(1, 'needs at least one target ({ "node", "input" })'),
});

const subgraphOutputSchema = z.strictObject({
  name: identifier,
  type: z.enum(SOCKET_TYPES),
  description: z.string().optional(),
  from: z.strictObject({ node: nodeId, output: z.number().int().min(0) }),
});

/** zod schema of one subgraph (shape only; checkSubgraph checks the references too). */
export const subgraphSchema = z.strictObject({
  type: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be a name like "Txt2ImgSimple" (letters, digits, _; the pack adds its namespace)'),
  version: z.number().int().min(1).optional(),
  description: z.string().optional(),
  category: z.string().min(1).optional(),
  displayName: z.string().optional(),
  outputNode: z.boolean().optional(),
  inputs: z.array(subgraphInputSchema).default([]),
  outputs: z.array(subgraphOutputSchema).default([]),
  workflow: z.unknown().refine((w) => typeof w === 'object' && w !== null, 'must be a workflow (saved or execution form)'),
});

/** zod schema of a JSON pack's top level; each subgraph is checked on its own (a bad one does not sink the pack). */
export const subgraphPackSchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'must be letters, digits, "_", "-" or "." (starting with a letter or digit)'),
  version: z.string().min(1),
  description: z.string().optional(),
  subgraphs: z.array(z.unknown()),
});
