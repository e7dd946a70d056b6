/** The error of saving or exporting a subgraph: `issue` is what the HTTP layer answers with (400, 409 for a duplicate). */
import type { Issue } from '../../protocol/index.ts';

/** Thrown by saveSubgraph / exportSubgraph. */
export class SubgraphError extends Error {
  override name = 'SubgraphError';
  constructor(readonly issue: Issue) {
    super(issue.message);
  }
}
