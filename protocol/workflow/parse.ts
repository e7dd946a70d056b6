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
import { isUiForm, parseUiWorkflow, type UiWorkflow } from './ui.ts';
import { type NodeSpecs, uiToExecution } from './ui-execution.ts';

/** What parsing learns from the node registry (or the editor's catalog): versions to migrate, widget orders for ComfyUI's UI format. */
export type NodeTypes = NodeVersions & Partial<NodeSpecs>;

export interface ParsedWorkflow {
  form: 'saved' | 'execution' | 'ui';
  /** The execution form (converted when the saved form came in); absent when the JSON is not a workflow. */
  graph?: ExecutionGraph;
  /** The saved form, when that came in. */
  saved?: SavedWorkflow;
  /** ComfyUI's UI format, when that came in. */
  ui?: UiWorkflow;
  issues: Issue[];
}

/**
 * Accepts any form (execution, ComfyUI's UI format, latentflow's older saved form) and returns the
 * execution form (plus the drawn one when that was given). With `types` (the node registry), saved
 * nodes of an older type version are migrated and UI-format widget values are mapped by widget order
 * (without it only links and by-name widget values carry over).
 */
export function parseWorkflow(json: unknown, types?: NodeTypes): ParsedWorkflow {
  if (isUiForm(json)) {
    const { workflow, issues } = parseUiWorkflow(json);
    if (!workflow) return { form: 'ui', issues };
    const converted = uiToExecution(workflow, types?.nodeSpec ? (types as NodeSpecs) : undefined);
    return { form: 'ui', ui: workflow, graph: converted.graph, issues: converted.issues };
  }
  const versions = types;
  if (!isSavedForm(json)) return { form: 'execution', ...parseExecutionGraph(json) };
  const { workflow, issues } = parseSavedWorkflow(json);
  if (!workflow) return { form: 'saved', issues };
  const converted = savedToExecution(workflow, versions);
  return { form: 'saved', saved: workflow, graph: converted.graph, issues: converted.issues };
}
