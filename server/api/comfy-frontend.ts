/**
 * The routes ComfyUI's frontend and clients call besides running prompts, with ComfyUI's shapes:
 * /embeddings, /extensions, /features, /models[/folder], /settings[/id], /users, /userdata (list, get,
 * post, move, delete; and /v2/userdata), /free. One user ("default"): settings and user files live in
 * <data>/user/default, as ComfyUI keeps them in ComfyUI/user/default.
 *
 * @example
 *   POST /userdata/workflows%2Fcat.json?overwrite=true   body: the file      -> "workflows/cat.json"
 *   GET  /userdata?dir=workflows                                             -> ["cat.json"]
 */
import fs from 'node:fs';
import path from 'node:path';

import express, { Router } from 'express';

import { checkpointFiles, diffusersFolders, loraFiles, upscaleModelFiles, vaeFiles } from '../../nodes/models/model-files.ts';
import { controlnetFiles } from '../../nodes/models/load-controlnet.ts';
import { embeddingNames } from '../../nodes/text/embeddings.ts';
import { resolveInside } from '../store/paths.ts';
import type { ApiContext } from './context.ts';
import { HttpError } from './errors.ts';
import { writeNoFollow } from './files.ts';

/** The model folders latentflow reads, by ComfyUI's folder names. */
const MODEL_FOLDERS: Record<string, (ctx: ApiContext) => string[]> = {
  checkpoints: (ctx) => checkpointFiles({ paths: ctx.host.paths }),
  controlnet: (ctx) => controlnetFiles({ paths: ctx.host.paths }),
  diffusers: (ctx) => diffusersFolders({ paths: ctx.host.paths }),
  embeddings: (ctx) => embeddingNames({ paths: ctx.host.paths }),
  loras: (ctx) => loraFiles({ paths: ctx.host.paths }),
  vae: (ctx) => vaeFiles({ paths: ctx.host.paths }),
  upscale_models: (ctx) => upscaleModelFiles({ paths: ctx.host.paths }),
};

/** Where the one user's files live. */
export function userDir(ctx: ApiContext): string {
  return path.join(ctx.options.dataDir, 'user', 'default');
}

const SETTINGS_FILE = 'comfy.settings.json';

function readSettings(ctx: ApiContext): Record<string, unknown> {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(userDir(ctx), SETTINGS_FILE), 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

function writeSettings(ctx: ApiContext, settings: Record<string, unknown>): void {
  fs.mkdirSync(userDir(ctx), { recursive: true });
  const file = path.join(userDir(ctx), SETTINGS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, JSON.stringify(settings, null, 2));
  fs.renameSync(temp, file);
}

/** A user file's path (inside the user folder, no `..`, no links out). */
function userFile(ctx: ApiContext, relative: string): string {
  return resolveInside(userDir(ctx), relative, 'user data path');
}

function flag(value: unknown): boolean {
  return value === 'true' || value === '1';
}

/** Files under `dir`, as paths relative to it with "/" (recursively when asked). */
function listFiles(dir: string, recurse: boolean): string[] {
  const out: string[] = [];
  const walk = (sub: string, depth: number) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const relative = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isFile()) out.push(relative);
      else if (entry.isDirectory() && recurse && depth < 16) walk(relative, depth + 1);
    }
  };
  walk('', 0);
  return out.sort();
}

export function comfyFrontendRouter(ctx: ApiContext): Router {
  const router = Router();

  router.get('/embeddings', (_req, res) => {
    res.json(embeddingNames({ paths: ctx.host.paths })); // the names `embedding:` accepts in prompts
  });
  router.get('/extensions', (_req, res) => {
    res.json([]); // no frontend extension scripts
  });
  router.get('/features', (_req, res) => {
    res.json({ supports_preview_metadata: false, max_upload_size: ctx.options.uploadLimitBytes });
  });

  router.get('/models', (_req, res) => {
    res.json(Object.keys(MODEL_FOLDERS));
  });
  router.get('/models/:folder', (req, res) => {
    const list = Object.hasOwn(MODEL_FOLDERS, req.params.folder) ? MODEL_FOLDERS[req.params.folder] : undefined;
    if (!list) throw new HttpError(404, 'not_found', `there is no model folder "${req.params.folder}" (folders: ${Object.keys(MODEL_FOLDERS).join(', ')})`);
    res.json(list(ctx));
  });

  router.get('/settings', (_req, res) => {
    res.json(readSettings(ctx));
  });
  router.get('/settings/:id', (req, res) => {
    const settings = readSettings(ctx);
    res.json(Object.hasOwn(settings, req.params.id) ? settings[req.params.id] : null);
  });
  router.post('/settings', (req, res) => {
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'bad_request', 'POST /settings takes an object of settings by id');
    writeSettings(ctx, { ...readSettings(ctx), ...(body as Record<string, unknown>) });
    res.json({});
  });
  router.post('/settings/:id', (req, res) => {
    writeSettings(ctx, { ...readSettings(ctx), [req.params.id]: req.body });
    res.json({});
  });

  // Single-user mode, as ComfyUI without --multi-user.
  router.get('/users', (_req, res) => {
    res.json({ storage: 'server', migrated: true });
  });
  router.post('/users', () => {
    throw new HttpError(400, 'bad_request', 'latentflow has one user ("default"); there are no users to create');
  });

  router.get('/userdata', (req, res) => {
    const dir = typeof req.query.dir === 'string' ? req.query.dir : '';
    if (!dir) throw new HttpError(400, 'bad_request', 'give the folder to list: /userdata?dir=workflows');
    const root = userFile(ctx, dir);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new HttpError(404, 'not_found', `there is no user folder "${dir}"`);
    const files = listFiles(root, flag(req.query.recurse));
    if (flag(req.query.full_info)) {
      res.json(files.map((f) => {
        const stat = fs.statSync(path.join(root, f));
        return { path: f, size: stat.size, modified: stat.mtimeMs / 1000 };
      }));
    } else {
      res.json(flag(req.query.split) ? files.map((f) => [f, ...f.split('/')]) : files);
    }
  });

  router.get('/v2/userdata', (req, res) => {
    const dir = typeof req.query.path === 'string' ? req.query.path : '';
    const root = dir ? userFile(ctx, dir) : userDir(ctx);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw new HttpError(404, 'not_found', `there is no user folder "${dir}"`);
    res.json(fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isFile() || e.isDirectory()).map((e) => {
      const stat = fs.statSync(path.join(root, e.name));
      const relative = dir ? `${dir.replace(/\/+$/, '')}/${e.name}` : e.name;
      return e.isFile() ? { name: e.name, path: relative, type: 'file', size: stat.size, modified: stat.mtimeMs / 1000 } : { name: e.name, path: relative, type: 'directory' };
    }));
  });

  router.get('/userdata/:file', (req, res) => {
    const file = userFile(ctx, req.params.file);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new HttpError(404, 'not_found', `there is no user file "${req.params.file}"`);
    res.sendFile(file, { dotfiles: 'allow' });
  });

  // The body is the file as it is, whatever its type (express.json leaves /userdata bodies alone).
  const raw = express.raw({ type: () => true, limit: ctx.options.bodyLimitBytes });
  router.post('/userdata/:file', raw, (req, res) => {
    const relative = req.params.file;
    const file = userFile(ctx, relative);
    if (fs.existsSync(file) && !(req.query.overwrite === undefined || flag(req.query.overwrite))) {
      throw new HttpError(409, 'exists', `user file "${relative}" exists; pass overwrite=true to replace it`);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    writeNoFollow(file, data, true, 'user data path');
    const stat = fs.statSync(file);
    res.json(flag(req.query.full_info) ? { path: relative, size: stat.size, modified: stat.mtimeMs / 1000 } : relative);
  });

  router.post('/userdata/:file/move/:dest', (req, res) => {
    const source = userFile(ctx, req.params.file);
    const dest = userFile(ctx, req.params.dest);
    if (!fs.existsSync(source)) throw new HttpError(404, 'not_found', `there is no user file "${req.params.file}"`);
    if (fs.existsSync(dest) && !(req.query.overwrite === undefined || flag(req.query.overwrite))) {
      throw new HttpError(409, 'exists', `user file "${req.params.dest}" exists; pass overwrite=true to replace it`);
    }
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.renameSync(source, dest);
    res.json(req.params.dest);
  });

  router.delete('/userdata/:file', (req, res) => {
    const file = userFile(ctx, req.params.file);
    if (!fs.existsSync(file)) throw new HttpError(404, 'not_found', `there is no user file "${req.params.file}"`);
    fs.rmSync(file);
    res.status(204).end();
  });

  // ComfyUI's /free: drop loaded models and cached results no run is using.
  router.post('/free', (req, res) => {
    const body = (req.body ?? {}) as { unload_models?: unknown; free_memory?: unknown };
    if (body.unload_models === true || body.free_memory === true) ctx.host.cache.trim(0);
    res.json({});
  });

  return router;
}

/** Whether a request's body is a user file (kept as bytes) rather than JSON. */
export function isUserdataUpload(url: string): boolean {
  return /^\/userdata\//.test(url);
}
