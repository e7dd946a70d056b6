/**
 * Node packs: what is loaded (and what was refused, and why), and the server's own JSON pack of
 * subgraph node types that the editor's "save as node" writes (`<data>/packs/user/latentflow.json`).
 */
import path from 'node:path';

import { Router } from 'express';

import { saveSubgraph, subgraphOf } from '../../nodes/packs/index.ts';
import type { PacksListing, SavedSubgraphAnswer } from '../../protocol/index.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';

export function packsRouter(ctx: ApiContext): Router {
  const router = Router();
  const userPackDir = path.join(ctx.options.dataDir, 'packs', 'user');

  router.get('/api/packs', (_req, res) => {
    res.json({ packs: ctx.host.packs.packs, issues: [...ctx.host.registryIssues, ...ctx.host.packs.issues] } satisfies PacksListing);
  });

  // Save an editor selection as a subgraph node type; it is registered at once (appears in /api/node-types).
  router.post('/api/packs/subgraphs', async (req, res) => {
    const saved = await saveSubgraph(userPackDir, req.body, { registry: ctx.host.registry, packName: 'user' });
    res.status(201).json({ type: saved.type, pack: saved.pack, subgraph: saved.subgraph } satisfies SavedSubgraphAnswer);
  });

  // Export one subgraph node type as a JSON file another server can import (POST it back above).
  router.get(/^\/api\/packs\/subgraphs\/(.+)$/, (req, res) => {
    // Express has decoded the path parameter once already; decoding again would turn "%25" into a
    // URIError (and "%2541" into "A").
    const type = (req.params as Record<string, string>)[0];
    const subgraph = subgraphOf(ctx.host.registry.get(type));
    if (!subgraph) throw new HttpError(404, 'not_found', `there is no subgraph node type "${type}"`);
    res.setHeader('content-disposition', `attachment; filename="${type.replace(/[^A-Za-z0-9_-]/g, '_')}.latentflow-node.json"`);
    res.json(subgraph.json);
  });

  return router;
}
