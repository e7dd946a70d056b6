/**
 * ComfyUI answers each of its routes under /api/ too (its frontend and newer clients call /api/prompt,
 * /api/queue, ...): those requests are routed as the bare route. latentflow's own routes under /api/
 * (/api/runs, /api/workflows, /api/system, ...) have other names and are untouched; /api/history and
 * /api/interrupt are ComfyUI's.
 */
import type { NextFunction, Request, Response } from 'express';

/** The first path segment of ComfyUI's routes. */
export const COMFY_ROUTES: ReadonlySet<string> = new Set([
  'prompt', 'queue', 'history', 'interrupt', 'view', 'view_metadata', 'object_info', 'upload', 'system_stats',
  'embeddings', 'extensions', 'features', 'models', 'settings', 'users', 'userdata', 'v2', 'free',
]);

export function comfyApiPrefix() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (req.url.startsWith('/api/')) {
      const segment = /^\/api\/([^/?#]+)/.exec(req.url)?.[1];
      if (segment !== undefined && COMFY_ROUTES.has(segment)) req.url = req.url.slice(4);
    }
    next();
  };
}
