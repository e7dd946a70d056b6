/**
 * The execution form: ComfyUI's API format, what the runner executes and `/prompt` accepts:
 *   { "3": { "class_type": "KSampler", "inputs": { "seed": 5, "model": ["4", 0] } }, ... }
 * An input is a widget value or a link `[nodeId, outputIndex]`.
 *
 * @example
 *   const { graph, issues } = parseExecutionGraph(JSON.parse(text));
 *   if (graph) for (const [input, [from, output]] of nodeLinks(graph['3'])) console.log(input, from, output);
 */
import { z } from 'zod';

import type { Issue } from '../issues.ts';
import { asLink, type Link } from '../link.ts';
import { ownKeys, RESERVED_KEY, reservedKeyIssue, zodIssues } from './shape-issues.ts';

export interface ExecutionNode {
  class_type: string;
  inputs: Record<string, unknown>;
  _meta?: { title?: string; [key: string]: unknown };
}

/** ComfyUI API format: node id -> node. */
export type ExecutionGraph = Record<string, ExecutionNode>;

/** Sorts node ids as ComfyUI users expect: numerically when both are numbers ("9" before "10"). */
export function compareNodeIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb) && na !== nb) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The links of a node, by input name (malformed ones left out). */
export function nodeLinks(node: ExecutionNode): Array<[input: string, link: Link]> {
  const out: Array<[string, Link]> = [];
  for (const [input, value] of Object.entries(node.inputs)) {
    const link = asLink(value);
    if (link) out.push([input, link]);
  }
  return out;
}

const executionNodeSchema = z.object({
  class_type: z.string().min(1),
  inputs: z.record(z.string(), z.unknown()).default({}),
  _meta: z.looseObject({ title: z.string().optional() }).optional(),
});

/** zod schema of the execution form (shape only; the runner's validateGraph checks it against the catalog). */
export const executionGraphSchema = z.record(z.string().min(1), executionNodeSchema);

function executionReservedKeys(json: object): Issue[] {
  const issues: Issue[] = [];
  for (const id of Object.keys(json)) {
    if (id === RESERVED_KEY) issues.push(reservedKeyIssue('a node id', [id]));
    else if (ownKeys((json as Record<string, { inputs?: unknown }>)[id]?.inputs).includes(RESERVED_KEY)) issues.push(reservedKeyIssue('an input name', [id, 'inputs', RESERVED_KEY], id));
  }
  return issues;
}

/** Parses the execution form (links normalised: numeric ids become strings); on failure every shape problem is an issue. */
export function parseExecutionGraph(json: unknown): { graph?: ExecutionGraph; issues: Issue[] } {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { issues: [{ code: 'workflow_invalid', message: 'Workflow: expected an object of nodes keyed by id ({ "3": { "class_type": ..., "inputs": ... } }).', details: { path: [], reason: 'invalid_type' } }] };
  }
  const reserved = executionReservedKeys(json);
  if (reserved.length > 0) return { issues: reserved };
  const parsed = executionGraphSchema.safeParse(json);
  if (!parsed.success) return { issues: zodIssues(parsed.error, 'execution', (p) => (p.length > 0 ? String(p[0]) : undefined)) };
  const graph: ExecutionGraph = {};
  for (const [id, node] of Object.entries(parsed.data)) {
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(node.inputs)) inputs[name] = asLink(value) ?? value;
    graph[id] = { class_type: node.class_type, inputs, ...(node._meta ? { _meta: node._meta } : {}) };
  }
  return { graph, issues: [] };
}
