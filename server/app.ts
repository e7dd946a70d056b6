/**
 * The latentflow server: one process serving the editor, our API, ComfyUI's API and live events, with
 * the job queue either embedded (SQLite, this process runs the jobs) or in Redis (`--redis URL`:
 * BullMQ, `latentflow worker` processes run the jobs). Files live under the data directory either way.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import express from 'express';

import { REPO_ROOT, type ServerOptions } from './config.ts';
import { createHost, type Host, loadHostPacks, seedExampleInputs } from './host.ts';
import { packsRouter } from './api/packs.ts';
import { catalogRouter } from './api/catalog.ts';
import { comfyRouter } from './api/comfy.ts';
import { comfyFrontendRouter, isUserdataUpload } from './api/comfy-frontend.ts';
import { comfyApiPrefix } from './api/comfy-prefix.ts';
import type { ApiContext } from './api/context.ts';
import { errorHandler, HttpError } from './api/errors.ts';
import { filesRouter, followRemoteOutputs } from './api/files.ts';
import { maskUploadRouter } from './api/mask-upload.ts';
import { runsRouter } from './api/runs.ts';
import { jsonTextDepth, securityMiddleware } from './api/security.ts';
import { attachLive, type LiveServers } from './api/socket.ts';
import { systemRouter } from './api/system.ts';
import { workflowsRouter } from './api/workflows.ts';
import { EmbeddedQueue } from './jobs/embedded-queue.ts';
import type { JobQueue } from './jobs/queue.ts';
import { RedisJobQueue } from './jobs/redis/redis-queue.ts';
import { WorkflowStore } from './store/workflow-store.ts';

export interface RunningServer {
  url: string;
  port: number;
  context: ApiContext;
  live: LiveServers;
  close(): Promise<void>;
}

const MAX_JSON_DEPTH = 64;

export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(securityMiddleware(ctx.options));
  app.use(comfyApiPrefix());
  // Bodies are JSON whatever their Content-Type, as ComfyUI reads them (its npm SDK sends text/plain),
  // except uploads (multipart) and user files (their own bytes).
  // The depth is read from the bytes before JSON.parse runs: a 7.8 MB array nested 3.9 million deep is
  // refused after 65 brackets, without building it.
  app.use(express.json({
    limit: ctx.options.bodyLimitBytes,
    strict: false,
    type: (req) => !String(req.headers['content-type'] ?? '').startsWith('multipart/') && !isUserdataUpload(req.url ?? ''),
    verify: (_req, _res, body) => {
      if (jsonTextDepth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new HttpError(400, 'too_deep', `request JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
    },
  }));

  app.use(catalogRouter(ctx));
  app.use(packsRouter(ctx));
  app.use(workflowsRouter(ctx));
  app.use(runsRouter(ctx));
  app.use(filesRouter(ctx));
  app.use(maskUploadRouter(ctx));
  app.use(systemRouter(ctx));
  app.use(comfyRouter(ctx));
  app.use(comfyFrontendRouter(ctx));

  const editorDist = path.join(REPO_ROOT, 'editor', 'dist');
  if (fs.existsSync(path.join(editorDist, 'index.html'))) {
    app.use(express.static(editorDist, { index: 'index.html', maxAge: '1h', setHeaders: (res, file) => {
      if (file.endsWith('index.html')) res.setHeader('cache-control', 'no-cache');
    } }));
  } else {
    app.get('/', (_req, res) => {
      res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>latentflow</title></head>
<body><h1>latentflow</h1><p>The server is running, but the editor has not been built: run <code>npm run build:editor</code>.</p>
<p>API: <a href="/api/node-types">/api/node-types</a>, <a href="/api/system">/api/system</a>.</p></body></html>`);
    });
  }

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler('ours'));
  return app;
}

/** Starts everything; resolves once listening. */
export async function startServer(options: ServerOptions, host?: Host): Promise<RunningServer> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const resolvedHost = host ?? createHost({ dataDir: options.dataDir, modelsDir: options.modelsDir, previewMethod: options.previewMethod, maxImagePixels: options.maxImagePixels });
  seedExampleInputs(resolvedHost.paths.input, REPO_ROOT);
  const packReport = await loadHostPacks(resolvedHost, options.packDirs ?? [path.join(options.dataDir, 'packs')]);
  for (const issue of packReport.issues) console.warn(`latentflow: ${issue.message}`);
  const queue: JobQueue = options.redis ? new RedisJobQueue(options.redis, resolvedHost) : new EmbeddedQueue(options.dataDir, resolvedHost);
  const workflows = new WorkflowStore(options.dataDir);
  const ctx: ApiContext = { options, host: resolvedHost, queue, workflows, bus: queue.bus, startedAt: Date.now() };
  const app = createApp(ctx);
  const httpServer = http.createServer(app);
  httpServer.headersTimeout = 30_000;
  httpServer.requestTimeout = 0; // workflow endpoints may wait for a run
  const live = attachLive(httpServer, options, queue.bus, () => queue.state());
  const stopFollowing = queue.kind === 'redis' ? followRemoteOutputs(ctx, (error) => console.error('latentflow: storing a worker\'s output failed:', error)) : () => {};

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(options.port, options.listen, () => resolve());
    });
    await queue.start();
  } catch (error) {
    // A port in use or an unreachable Redis: release what was opened, then report.
    stopFollowing();
    await live.close().catch(() => {});
    httpServer.closeAllConnections();
    if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    await queue.close().catch(() => {});
    throw error;
  }
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const hostPart = options.listen.includes(':') ? `[${options.listen}]` : options.listen;

  return {
    url: `http://${hostPart}:${port}/`,
    port,
    context: ctx,
    live,
    async close() {
      stopFollowing();
      await live.close();
      await new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      });
      await queue.close();
    },
  };
}
