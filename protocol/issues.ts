/**
 * Issues: the one shape of every problem that reaches a person, whoever finds it (the workflow parser,
 * the runner's validation, a node that fails, a node pack that does not load, the HTTP layer). Code
 * branches on `code`, never on the message.
 *
 * @example
 *   const issue: Issue = { code: 'input_missing', message: 'KSampler #7: input "model" is not connected.', nodeId: '7', nodeType: 'KSampler', input: 'model' };
 *   issueSchema.parse(issue); // the same shape on the wire
 */
import { z } from 'zod';

/**
 * What went wrong.
 * - `workflow_invalid`: the JSON is not a workflow in either form (details: path, reason)
 * - `node_type_unknown`: no registered node type has this name
 * - `input_missing`: a required input is neither connected nor set, and has no default
 * - `input_unknown`: the node type has no input of this name
 * - `link_invalid`: a link points at a missing node or output index, or is malformed
 * - `type_mismatch`: a link joins different socket types, or a link feeds a widget
 * - `value_invalid`: a widget value has the wrong type, is not finite, not an integer, or not one of
 *   the options (details.reason: `wrong_type | not_finite | not_integer | not_in_options | expected_link`)
 * - `value_out_of_range`: a number outside the widget's [min, max] (details: min, max, received), or values
 *   the node refuses together before anything runs (details.reason, e.g. `over_memory_budget`: bytes, budgetBytes)
 * - `cycle`: links form a loop (details.nodes: the first 100 node ids in it, in link order; details.nodesTotal: how many), or a subgraph contains itself (details.types)
 * - `output_node_missing`: nothing in the workflow is an output node, so nothing would run
 * - `node_failed` / `native_failed`: a node threw while running (native: the engine's status is in details.status)
 * - `node_definition_invalid` / `node_type_duplicate`: a node pack could not add a node type (details.pack,
 *   details.problems)
 * - `pack_invalid`: a whole node pack was not loaded: bad manifest, its entry point threw, unreadable
 *   subgraph file (details: pack, dir, reason: `manifest | import_failed | no_nodes | file_invalid |
 *   name_taken | ambiguous`)
 */
export const ISSUE_CODES = [
  'workflow_invalid',
  'node_type_unknown',
  'input_missing',
  'input_unknown',
  'link_invalid',
  'type_mismatch',
  'value_invalid',
  'value_out_of_range',
  'cycle',
  'output_node_missing',
  'node_failed',
  'native_failed',
  'node_definition_invalid',
  'node_type_duplicate',
  'pack_invalid',
] as const;

export type IssueCode = (typeof ISSUE_CODES)[number];

/** One problem, located: which node, which input, what was expected and received. */
export const issueSchema = z.object({
  code: z.enum(ISSUE_CODES),
  /** One sentence a user can act on, e.g. `KSampler #7: input "model" is not connected.` */
  message: z.string(),
  nodeId: z.string().optional(),
  nodeType: z.string().optional(),
  input: z.string().optional(),
  /** Expected/received values, the file or tensor, the pack; plain JSON. */
  details: z.record(z.string(), z.unknown()).optional(),
});

export type Issue = z.infer<typeof issueSchema>;

/** How a node is named in messages: `KSampler #7`. */
export function nodeLabel(nodeType: string, nodeId: string): string {
  return `${nodeType} #${nodeId}`;
}

/**
 * A workflow that cannot run, with every reason: thrown where an exception is wanted (preparing a job
 * for the queue, exporting a subgraph); HTTP answers it 400 with the issues.
 */
export class InvalidWorkflowError extends Error {
  override name = 'InvalidWorkflowError';
  constructor(readonly issues: Issue[]) {
    super(issues.length === 1 ? issues[0].message : `the workflow has ${issues.length} problems; the first: ${issues[0]?.message}`);
  }
}
