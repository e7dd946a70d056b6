/**
 * Input overrides applied to an execution-form workflow before it runs: the CLI's
 * `--set 6.text="a cat"`, the queue API's `overrides` and "workflow as an endpoint" bodies.
 * Accepted shapes: `{ "6.text": "a cat" }` and `{ "6": { "text": "a cat" } }`.
 */
import type { Issue } from '../../protocol/index.ts';
import type { ExecutionGraph } from '../../protocol/index.ts';

export type Overrides = Record<string, unknown>;

/** Returns a copy of `graph` with the overrides applied, or the issues that prevent it. */
export function applyOverrides(graph: ExecutionGraph, overrides: Overrides): { graph: ExecutionGraph; issues: Issue[] } {
  const out: ExecutionGraph = structuredClone(graph);
  const issues: Issue[] = [];
  const set = (nodeId: string, input: string, value: unknown) => {
    // Own properties only: "constructor", "toString" or "__proto__" name no node of the workflow.
    if (!Object.hasOwn(out, nodeId)) {
      issues.push({ code: 'link_invalid', message: `Override "${nodeId}.${input}": the workflow has no node "${nodeId}".`, details: { key: `${nodeId}.${input}`, reason: 'node_missing' } });
      return;
    }
    if (input === '__proto__') {
      issues.push({ code: 'workflow_invalid', message: `Override "${nodeId}.${input}": "__proto__" cannot be an input name.`, nodeId, details: { key: `${nodeId}.${input}`, reason: 'reserved_name' } });
      return;
    }
    // defineProperty, not assignment: the value lands as an own input whatever its name.
    Object.defineProperty(out[nodeId].inputs, input, { value, enumerable: true, writable: true, configurable: true });
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !key.includes('.')) {
      for (const [input, v] of Object.entries(value as Record<string, unknown>)) set(key, input, v);
      continue;
    }
    const dot = key.indexOf('.');
    if (dot <= 0 || dot === key.length - 1) {
      issues.push({ code: 'workflow_invalid', message: `Override "${key}" must be written NODE.INPUT (for example "6.text").`, details: { key } });
      continue;
    }
    set(key.slice(0, dot), key.slice(dot + 1), value);
  }
  return { graph: out, issues };
}

/** Parses CLI `NODE.INPUT=VALUE`: VALUE is JSON when it parses as JSON, else a plain string. */
export function parseSetArgument(argument: string): [string, unknown] {
  const eq = argument.indexOf('=');
  if (eq <= 0) throw new Error(`--set "${argument}" must be NODE.INPUT=VALUE, for example --set 6.text="a red circle"`);
  const key = argument.slice(0, eq);
  const raw = argument.slice(eq + 1);
  try {
    return [key, JSON.parse(raw)];
  } catch {
    return [key, raw];
  }
}
