/** The node catalog: our /api/node-types and ComfyUI's /object_info (the same entries), and ComfyUI's /embeddings. */
import { Router } from 'express';

import { embeddingNames } from '../../nodes/text/embeddings.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';

export function catalogRouter(ctx: ApiContext): Router {
  const router = Router();
  const catalog = () => ctx.host.registry.catalog({ paths: ctx.host.paths });

  router.get(['/api/node-types', '/object_info'], (_req, res) => {
    res.json(catalog());
  });

  router.get(['/api/node-types/:type', '/object_info/:type'], (req, res) => {
    const type = String(req.params.type);
    const entries = catalog();
    if (!Object.hasOwn(entries, type)) throw new HttpError(404, 'not_found', `there is no node type "${type}"`);
    res.json({ [type]: entries[type] });
  });

  // ComfyUI's GET /embeddings: the names `embedding:` accepts in prompts.
  router.get(['/embeddings', '/api/embeddings'], (_req, res) => {
    res.json(embeddingNames({ paths: ctx.host.paths }));
  });

  return router;
}
