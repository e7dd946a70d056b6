/**
 * The issue shapes of node packs and subgraphs. They have the runner's GraphIssue shape
 * (server/api/protocol.ts) without importing it, since nodes/ never imports upward: every code here is
 * one of GraphIssueCode, so the server passes them on as they are.
 */

/** A pack (or one of its node types) that was not loaded; the others still are. */
export interface PackIssue {
  /**
   * `pack_invalid`: the whole pack was skipped (details.reason: `manifest | import_failed | no_nodes |
   * file_invalid | name_taken | ambiguous`); `node_definition_invalid` / `node_type_duplicate`: one of
   * its node types (or subgraphs) was refused.
   */
  code: 'pack_invalid' | 'node_definition_invalid' | 'node_type_duplicate';
  message: string;
  nodeType?: string;
  details: { pack: string | null; dir?: string; reason?: string; problems?: string[]; error?: string; [key: string]: unknown };
}

/** A problem found while expanding subgraph nodes, located on the outer node the user sees. */
export interface ExpandIssue {
  /** `cycle`: a subgraph contains itself (details.types); `link_invalid`; `workflow_invalid` (id clash, too large). */
  code: 'cycle' | 'link_invalid' | 'workflow_invalid';
  message: string;
  nodeId?: string;
  nodeType?: string;
  input?: string;
  details: Record<string, unknown>;
}

/** Thrown by saveSubgraph / exportSubgraph; `issue` is what the HTTP layer answers with (400). */
export class SubgraphError extends Error {
  override name = 'SubgraphError';
  constructor(readonly issue: PackIssue) {
    super(issue.message);
  }
}
