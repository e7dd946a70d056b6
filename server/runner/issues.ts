/**
 * Issues and errors of the runner: every problem that reaches a person is a GraphIssue (the wire shape
 * from server/api/protocol.ts) that names the node, the input and what to do; code branches on `code`.
 * A node's run-time failure is wrapped exactly once, here, with node id and type; the original error
 * stays as `cause`.
 */
import type { GraphIssue, GraphIssueCode } from '../api/protocol.ts';

export type { GraphIssue, GraphIssueCode };

/** How a node is named in messages: `KSampler #7`. */
export function nodeLabel(nodeType: string, nodeId: string): string {
  return `${nodeType} #${nodeId}`;
}

/** Thrown by callers that want an exception for a workflow that did not validate; `issues` has them all. */
export class GraphValidationError extends Error {
  override name = 'GraphValidationError';
  constructor(readonly issues: GraphIssue[]) {
    super(issues.length === 1 ? issues[0].message : `The workflow has ${issues.length} problems; the first: ${issues[0]?.message ?? '(none)'}`);
  }
}

/** A node's run-time failure: `issue` is what the client sees, `cause` the original error. */
export class NodeRunError extends Error {
  override name = 'NodeRunError';
  constructor(
    readonly issue: GraphIssue,
    options: { cause?: unknown } = {},
  ) {
    super(issue.message, options);
  }
}

/** The engine's status name when `error` came from native code (`error.code` = `SDN_STATUS_*`). */
export function nativeStatusOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('SDN_STATUS_') ? code : undefined;
}

/**
 * Wraps what a node threw: code `native_failed` for engine errors (details.status), `node_failed`
 * otherwise. An error that is already a NodeRunError is returned as it is, so nothing is wrapped twice.
 */
export function wrapNodeError(error: unknown, nodeId: string, nodeType: string): NodeRunError {
  if (error instanceof NodeRunError) return error;
  const status = nativeStatusOf(error);
  const original = error instanceof Error ? error.message : String(error);
  const text = original.trim() === '' ? 'failed without a message' : original;
  const issue: GraphIssue = {
    code: status ? 'native_failed' : 'node_failed',
    message: `${nodeLabel(nodeType, nodeId)}: ${text}`,
    nodeId,
    nodeType,
    details: {
      ...(status ? { status } : {}),
      error: error instanceof Error ? error.name : typeof error,
    },
  };
  return new NodeRunError(issue, { cause: error });
}
