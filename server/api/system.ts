/** System stats: ours (/api/system) and ComfyUI's (/system_stats). */
import os from 'node:os';

import { Router } from 'express';

import { native } from '../../native/index.ts';
import type { ApiContext } from './context.ts';

export function systemStats(ctx: ApiContext) {
  const memory = process.memoryUsage();
  return {
    version: process.env.npm_package_version ?? '0.1.0',
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadAverage: os.loadavg(), features: native.cpuFeatures(), engineThreads: native.threadsGet() },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem(), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    native: native.memoryStats(),
    cache: { entries: ctx.host.cache.size, bytes: ctx.host.cache.bytes },
    queue: { pending: ctx.jobs.pending().length, running: ctx.executor.runningId() },
    workers: [{ id: `embedded-${process.pid}`, kind: 'embedded', host: os.hostname(), pid: process.pid, running: ctx.executor.runningId() }],
  };
}

export function systemRouter(ctx: ApiContext): Router {
  const router = Router();
  router.get(['/api/system', '/api/health'], (_req, res) => {
    res.json(systemStats(ctx));
  });
  router.get('/system_stats', (_req, res) => {
    res.json({
      system: {
        os: process.platform,
        ram_total: os.totalmem(),
        ram_free: os.freemem(),
        comfyui_version: 'latentflow',
        python_version: 'n/a (latentflow runs on Node.js ' + process.version + ')',
        pytorch_version: 'n/a',
        embedded_python: false,
        argv: process.argv.slice(1),
      },
      devices: [{ name: 'cpu', type: 'cpu', index: 0, vram_total: os.totalmem(), vram_free: os.freemem(), torch_vram_total: 0, torch_vram_free: 0 }],
    });
  });
  return router;
}
