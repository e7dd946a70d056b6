/**
 * Turning a client's workflow (either form, with optional overrides) into a validated execution form,
 * ready to queue. Shared by /api/runs, /prompt, the workflow endpoint and the CLI.
 */
import type { GraphIssue } from '../api/protocol.ts';
import type { Host } from '../host.ts';
import { validateGraph } from '../runner/validate.ts';
import { applyOverrides, type Overrides } from '../runner/overrides.ts';
import { parseWorkflow, type ExecutionGraph, type SavedWorkflow } from '../../nodes/workflow.ts';

export class InvalidWorkflowError extends Error {
  override name = 'InvalidWorkflowError';
  constructor(readonly issues: GraphIssue[]) {
    super(issues.length === 1 ? issues[0].message : `the workflow has ${issues.length} problems; the first: ${issues[0]?.message}`);
  }
}

export interface PreparedWorkflow {
  prompt: ExecutionGraph;
  /** The saved form when the client sent one (embedded in PNGs as "workflow"). */
  saved: SavedWorkflow | null;
}

/** Parses, converts, applies overrides and validates; throws InvalidWorkflowError with every issue. */
export function prepareWorkflow(host: Host, workflow: unknown, overrides: Overrides = {}): PreparedWorkflow {
  const parsed = parseWorkflow(workflow, host.registry);
  if (!parsed.graph || parsed.issues.length) throw new InvalidWorkflowError(parsed.issues as GraphIssue[]);
  const saved = parsed.saved ?? null;
  const { graph, issues: overrideIssues } = applyOverrides(parsed.graph, overrides);
  if (overrideIssues.length) throw new InvalidWorkflowError(overrideIssues);
  const issues = validateGraph(graph, host.registry, { paths: host.paths });
  if (issues.length) throw new InvalidWorkflowError(issues);
  return { prompt: graph, saved };
}
