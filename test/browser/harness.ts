/**
 * What the browser tests run against: the REAL latentflow server (in this process, on loopback, a random
 * port) with a models directory holding the tiny fixture model, and Debian's chromium driven by
 * playwright-core with a fresh profile. Nothing is downloaded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import { startServer, type RunningServer } from '../../server/app.ts';
import { DEFAULT_OPTIONS } from '../../server/config.ts';

export const CHROMIUM = process.env.LATENTFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test/artifacts');
const TINY_SD = path.resolve('test/fixtures/tiny-sd');

export interface Harness {
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** A models directory with the tiny fixture model as a single-file checkpoint and a diffusers folder. */
function fixtureModels(root: string): string {
  const models = path.join(root, 'models');
  fs.mkdirSync(path.join(models, 'checkpoints'), { recursive: true });
  fs.mkdirSync(path.join(models, 'diffusers'), { recursive: true });
  fs.symlinkSync(path.join(TINY_SD, 'tiny-sd.safetensors'), path.join(models, 'checkpoints', 'tiny-sd.safetensors'));
  fs.symlinkSync(path.join(TINY_SD, 'tiny-sd.yaml'), path.join(models, 'checkpoints', 'tiny-sd.yaml'));
  fs.symlinkSync(TINY_SD, path.join(models, 'diffusers', 'tiny-sd'));
  // Listed like any diffusers model, but its weights are missing: loading fails at run time (the execution-error test).
  fs.mkdirSync(path.join(models, 'diffusers', 'broken'));
  fs.copyFileSync(path.join(TINY_SD, 'model_index.json'), path.join(models, 'diffusers', 'broken', 'model_index.json'));
  return models;
}

export async function startHarness(): Promise<Harness> {
  if (!fs.existsSync(path.resolve('editor/dist/index.html'))) {
    throw new Error('editor/dist is missing: run "npm run build:editor" before the browser tests (npm test does).');
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no chromium at ${CHROMIUM}: install it with "apt-get install -y chromium" (or set LATENTFLOW_CHROMIUM).`);
  }
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'latentflow-browser-'));
  const dataDir = path.join(root, 'data');
  const server = await startServer({ ...DEFAULT_OPTIONS, port: 0, listen: '127.0.0.1', dataDir, modelsDir: fixtureModels(root) });
  const userDataDir = path.join(root, 'chromium-profile');
  // A fresh profile each run (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 1000 },
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    server,
    context,
    page,
    url: server.url,
    dataDir,
    async close() {
      await context.close().catch(() => undefined);
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
