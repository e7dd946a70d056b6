/** System stats: ours (/api/system) and ComfyUI's (/system_stats). */
import os from 'node:os';

import { Router } from 'express';

import { native } from '../../native/index.ts';
import type { SystemInfo } from '../../protocol/index.ts';
import type { ApiContext } from './context.ts';

export async function systemStats(ctx: ApiContext): Promise<SystemInfo> {
  const memory = process.memoryUsage();
  const [pending, state, workers] = await Promise.all([ctx.queue.pending(), ctx.queue.state(), ctx.queue.workers()]);
  const { isa, ...features } = native.cpuFeatures();
  return {
    version: process.env.npm_package_version ?? '0.1.0',
    uptimeSeconds: Math.round((Date.now() - ctx.startedAt) / 1000),
    cpu: { model: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, loadAverage: os.loadavg(), features, isa, engineThreads: native.threadsGet() },
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem(), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
    native: native.memoryStats(),
    cache: { entries: ctx.host.cache.size, bytes: ctx.host.cache.bytes },
    queue: { mode: ctx.queue.kind, pending: pending.length, running: state.running, runningIds: state.runningIds },
    // Who runs jobs: this process (embedded) or the remote workers whose heartbeat is current.
    workers,
  };
}

export function systemRouter(ctx: ApiContext): Router {
  const router = Router();
  router.get(['/api/system', '/api/health'], async (_req, res) => {
    res.json(await systemStats(ctx));
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
