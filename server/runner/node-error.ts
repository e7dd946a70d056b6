/**
 * A node's run-time failure, wrapped exactly once, here, by the runner: the node threw about its input
 * (without naming itself); the runner adds where it happened (`KSampler #7: ...`, node id and type) and
 * keeps the original error as `cause`. Every other problem is an Issue (protocol/issues.ts) too.
 */
import { type Issue, nodeLabel } from '../../protocol/index.ts';

/** A node's run-time failure: `issue` is what the client sees, `cause` the original error. */
export class NodeRunError extends Error {
  override name = 'NodeRunError';
  constructor(
    readonly issue: Issue,
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
  const issue: Issue = {
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
