/**
 * Issues about a workflow's JSON shape, shared by the parsers of both forms: zod's findings as
 * `workflow_invalid` issues with their path, and the one key JSON cannot be trusted with.
 */
import type { z } from 'zod';

import type { Issue } from '../issues.ts';

/** zod's issues as workflow issues, each with its path and (where `nodeIdAt` finds it) its node. */
export function zodIssues(error: z.ZodError, form: 'execution' | 'saved' | 'ComfyUI UI', nodeIdAt: (path: PropertyKey[]) => string | undefined): Issue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String);
    const nodeId = nodeIdAt(issue.path);
    const where = path.length > 0 ? `at "${path.join('.')}"` : 'at the top level';
    return {
      code: 'workflow_invalid',
      message: `Workflow (${form} form) ${where}: ${issue.message}.`,
      ...(nodeId !== undefined ? { nodeId } : {}),
      details: { path, reason: issue.code },
    };
  });
}

/**
 * `__proto__` as a node id or input name: JSON.parse keeps it as an own key, but every `obj[key] = v`
 * afterwards (zod's record parsing, the converter) sets the object's prototype instead, so the node or
 * input silently vanished. Such keys are refused up front, with the node they are in.
 */
export const RESERVED_KEY = '__proto__';

export function reservedKeyIssue(what: string, path: PropertyKey[], nodeId?: string): Issue {
  return {
    code: 'workflow_invalid',
    message: `Workflow: "${RESERVED_KEY}" cannot be used as ${what}; rename it.`,
    ...(nodeId !== undefined ? { nodeId } : {}),
    details: { path: path.map(String), reason: 'reserved_name' },
  };
}

/** The own keys of a plain object (none for anything else). */
export function ownKeys(value: unknown): string[] {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value) : [];
}

/** For zodIssues: the id of the node a path `nodes.<i>...` is in (the forms with a `nodes` array). */
export function nodeIdInNodesArray(json: unknown): (path: PropertyKey[]) => string | undefined {
  const nodes = (json as { nodes?: unknown } | null)?.nodes;
  return (p) => {
    if (p[0] !== 'nodes' || typeof p[1] !== 'number' || !Array.isArray(nodes)) return undefined;
    const id = (nodes[p[1]] as { id?: unknown } | undefined)?.id;
    return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
  };
}
