/**
 * Turning a client's workflow (either form, with optional overrides) into a validated execution form,
 * ready to queue. Shared by /api/runs, /prompt, the workflow endpoint and the CLI. The JSON is parsed
 * once, here; what is queued is the typed graph.
 */
import { type ExecutionGraph, InvalidWorkflowError, parseWorkflow, type SavedWorkflow, type UiWorkflow } from '../../protocol/index.ts';
import type { Host } from '../host.ts';
import { applyOverrides, type Overrides } from '../runner/overrides.ts';
import { resolveGraph } from '../runner/validate.ts';

export { InvalidWorkflowError };

export interface PreparedWorkflow {
  prompt: ExecutionGraph;
  /** The drawn workflow when the client sent one (ComfyUI's UI format, or latentflow's older saved form): embedded in PNGs as "workflow". */
  saved: SavedWorkflow | UiWorkflow | null;
}

export interface PrepareOptions {
  /**
   * Whether this process runs the job (embedded queue, CLI; default) or a remote worker does (Redis).
   * Checks against the memory budget use this machine's available memory only when it runs the job;
   * for a remote worker only a configured budget (LATENTFLOW_MEMORY_BUDGET_GB) is known here, and the
   * worker checks its own when the job starts.
   */
  runsHere?: boolean;
}

/**
 * Most nodes a workflow may have. Validation costs ~20 microseconds a node on the event loop, so a
 * 60,000-node graph (4 MB, under the body limit) held every other request for over a second; real
 * workflows have tens to hundreds of nodes.
 */
export const MAX_WORKFLOW_NODES = 10_000;

/** Refuses a workflow with more than MAX_WORKFLOW_NODES nodes, before anything parses it (either form). */
export function checkWorkflowSize(workflow: unknown): void {
  if (workflow === null || typeof workflow !== 'object' || Array.isArray(workflow)) return; // the parser says what is wrong
  const nodes = (workflow as { nodes?: unknown }).nodes;
  const count = Array.isArray(nodes) ? nodes.length : Object.keys(workflow).length;
  if (count <= MAX_WORKFLOW_NODES) return;
  throw new InvalidWorkflowError([{
    code: 'workflow_invalid',
    message: `Workflow: it has ${count} nodes; latentflow takes at most ${MAX_WORKFLOW_NODES}. Split it, or move repeated parts into a subgraph node.`,
    details: { reason: 'too_many_nodes', nodes: count, max: MAX_WORKFLOW_NODES },
  }]);
}

/** Parses, converts, applies overrides and validates; throws InvalidWorkflowError with every issue. */
export function prepareWorkflow(host: Host, workflow: unknown, overrides: Overrides = {}, { runsHere = true }: PrepareOptions = {}): PreparedWorkflow {
  checkWorkflowSize(workflow);
  const parsed = parseWorkflow(workflow, host.registry);
  if (!parsed.graph || parsed.issues.length) throw new InvalidWorkflowError(parsed.issues);
  const saved = parsed.ui ?? parsed.saved ?? null;
  const { graph, issues: overrideIssues } = applyOverrides(parsed.graph, overrides);
  if (overrideIssues.length) throw new InvalidWorkflowError(overrideIssues);
  const memoryBudgetBytes = host.memoryBudgetBytes ?? (runsHere ? undefined : Number.POSITIVE_INFINITY);
  const { issues } = resolveGraph(graph, host.registry, { paths: host.paths, memoryBudgetBytes });
  if (issues.length) throw new InvalidWorkflowError(issues);
  return { prompt: graph, saved };
}
