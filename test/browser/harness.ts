/**
 * What the browser tests run against: the REAL latentflow server (in this process, on loopback, a random
 * port) with a models directory holding the tiny fixture model, and Debian's chromium driven by
 * playwright-core with a fresh profile. Nothing is downloaded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { chromium, type BrowserContext, type Page } from 'playwright-core';

import type { SavedWorkflow } from '../../protocol/index.ts';
import { startServer, type RunningServer } from '../../server/app.ts';
import { DEFAULT_OPTIONS } from '../../server/config.ts';

export const CHROMIUM = process.env.LATENTFLOW_CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve('test/artifacts');
const TINY_SD = path.resolve('test/fixtures/tiny-sd');
const TINY_SDXL = path.resolve('test/fixtures/sdxl/tiny-sdxl');

export interface Harness {
  server: RunningServer;
  context: BrowserContext;
  page: Page;
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * A models directory with the tiny fixture model as a single-file checkpoint and a diffusers folder, and the
 * tiny SDXL's single file (+ its .json sidecar) as a second checkpoint.
 */
function fixtureModels(root: string): string {
  const models = path.join(root, 'models');
  fs.mkdirSync(path.join(models, 'checkpoints'), { recursive: true });
  fs.mkdirSync(path.join(models, 'diffusers'), { recursive: true });
  fs.symlinkSync(path.join(TINY_SD, 'tiny-sd.safetensors'), path.join(models, 'checkpoints', 'tiny-sd.safetensors'));
  fs.symlinkSync(path.join(TINY_SD, 'tiny-sd.yaml'), path.join(models, 'checkpoints', 'tiny-sd.yaml'));
  fs.symlinkSync(TINY_SD, path.join(models, 'diffusers', 'tiny-sd'));
  for (const f of ['tiny-sdxl.safetensors', 'tiny-sdxl.json']) fs.symlinkSync(path.join(TINY_SDXL, f), path.join(models, 'checkpoints', f));
  // Listed like any diffusers model, but its weights are missing: loading fails at run time (the execution-error test).
  fs.mkdirSync(path.join(models, 'diffusers', 'broken'));
  fs.copyFileSync(path.join(TINY_SD, 'model_index.json'), path.join(models, 'diffusers', 'broken', 'model_index.json'));
  return models;
}

/** Opens the editor in the harness's page, page errors logged, and waits until its node catalog has loaded. */
export async function openEditor(h: Harness): Promise<Page> {
  h.page.on('pageerror', (error) => console.error('editor page error:', error.message));
  await h.page.goto(h.url);
  await h.page.getByRole('button', { name: 'Load Checkpoint' }).waitFor();
  return h.page;
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

/** Opens a workflow file through the Import button, discarding unsaved changes when asked. */
export async function importWorkflow(page: Page, name: string, workflow: SavedWorkflow | object): Promise<void> {
  const file = path.join(ARTIFACTS, name);
  fs.writeFileSync(file, JSON.stringify(workflow));
  const unsaved = (await page.locator('.lf-dirty').count()) > 0; // the editor asks before replacing unsaved work
  await page.getByTestId('import-file').setInputFiles(file);
  if (unsaved) await page.getByRole('dialog', { name: 'Discard changes?' }).getByRole('button', { name: 'Discard' }).click();
  for (const deadline = Date.now() + 10_000; (await page.getByRole('dialog').count()) > 0; ) {
    if (Date.now() > deadline) throw new Error(`importing ${name}: a dialog stayed open`);
    await page.waitForTimeout(50);
  }
}

/** txt2img on the tiny model's diffusers folder, in the saved form. */
export const TXT2IMG: SavedWorkflow = {
  version: 1,
  name: 'txt2img',
  nodes: [
    { id: '1', type: 'DiffusersLoader', position: { x: 0, y: 0 }, widgets: { model_path: 'tiny-sd', weight_dtype: 'f32' } },
    { id: '2', type: 'CLIPTextEncode', position: { x: 340, y: 0 }, widgets: { text: 'a small cat' } },
    { id: '3', type: 'CLIPTextEncode', position: { x: 340, y: 260 }, widgets: { text: '' } },
    { id: '4', type: 'EmptyLatentImage', position: { x: 340, y: 520 }, widgets: { width: 64, height: 64, batch_size: 1 } },
    { id: '5', type: 'KSampler', position: { x: 680, y: 0 }, widgets: { seed: 42, steps: 3, cfg: 7.5, sampler_name: 'euler', scheduler: 'normal', denoise: 1, attention: 'auto' } },
    { id: '6', type: 'VAEDecode', position: { x: 1020, y: 0 }, widgets: {} },
    { id: '7', type: 'SaveImage', position: { x: 1020, y: 300 }, widgets: { filename_prefix: 'latentflow' } },
  ],
  edges: [
    { from: { node: '1', output: 0 }, to: { node: '5', input: 'model' } },
    { from: { node: '1', output: 1 }, to: { node: '2', input: 'clip' } },
    { from: { node: '1', output: 1 }, to: { node: '3', input: 'clip' } },
    { from: { node: '2', output: 0 }, to: { node: '5', input: 'positive' } },
    { from: { node: '3', output: 0 }, to: { node: '5', input: 'negative' } },
    { from: { node: '4', output: 0 }, to: { node: '5', input: 'latent_image' } },
    { from: { node: '5', output: 0 }, to: { node: '6', input: 'samples' } },
    { from: { node: '1', output: 2 }, to: { node: '6', input: 'vae' } },
    { from: { node: '6', output: 0 }, to: { node: '7', input: 'images' } },
  ],
};

/** `copies` copies of `workflow` side by side (ids shifted by 100 per copy), as one workflow. */
export function manyCopies(workflow: SavedWorkflow, copies: number): SavedWorkflow {
  const nodes: SavedWorkflow['nodes'] = [];
  const edges: SavedWorkflow['edges'] = [];
  for (let copy = 0; copy < copies; copy++) {
    const id = (n: string) => String(Number(n) + copy * 100);
    for (const node of workflow.nodes) nodes.push({ ...node, id: id(node.id), position: { x: node.position.x + (copy % 6) * 1800, y: node.position.y + Math.floor(copy / 6) * 900 } });
    for (const edge of workflow.edges) edges.push({ from: { ...edge.from, node: id(edge.from.node) }, to: { ...edge.to, node: id(edge.to.node) } });
  }
  return { ...workflow, name: `${workflow.name} x${copies}`, nodes, edges };
}
