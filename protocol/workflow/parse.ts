/**
 * Reading a workflow of either form: what every door that accepts a workflow calls (POST /api/runs,
 * /prompt, the workflow store, `latentflow run`, subgraph files).
 *
 * @example
 *   const parsed = parseWorkflow(body.workflow, registry);
 *   if (!parsed.graph || parsed.issues.length > 0) throw new InvalidWorkflowError(parsed.issues);
 *   run(parsed.graph);   // the execution form, whichever form came in
 */
import type { Issue } from '../issues.ts';
import { type NodeVersions, savedToExecution } from './convert.ts';
import { type ExecutionGraph, parseExecutionGraph } from './execution.ts';
import { isSavedForm, parseSavedWorkflow, type SavedWorkflow } from './saved.ts';

export interface ParsedWorkflow {
  form: 'saved' | 'execution';
  /** The execution form (converted when the saved form came in); absent when the JSON is not a workflow. */
  graph?: ExecutionGraph;
  /** The saved form, when that came in. */
  saved?: SavedWorkflow;
  issues: Issue[];
}

/**
 * Accepts either form and returns the execution form (plus the saved one when that was given).
 * With `versions` (the node registry), saved nodes of an older type version are migrated.
 */
export function parseWorkflow(json: unknown, versions?: NodeVersions): ParsedWorkflow {
  if (!isSavedForm(json)) return { form: 'execution', ...parseExecutionGraph(json) };
  const { workflow, issues } = parseSavedWorkflow(json);
  if (!workflow) return { form: 'saved', issues };
  const converted = savedToExecution(workflow, versions);
  return { form: 'saved', saved: workflow, graph: converted.graph, issues: converted.issues };
}
