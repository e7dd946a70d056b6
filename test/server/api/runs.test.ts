// Our API end to end on a real server with the tiny fixture model: catalog, workflows with revisions,
// queueing, live events over socket.io (only to the run's room), outputs, history, the workflow endpoint.
import { io as connect, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng, readPngText } from '../../../nodes/image/png.ts';
import type { RunEvent } from '../../../protocol/index.ts';
import { json, startTestServer, type TestServer, tinyTxt2img, waitForRun } from '../../helpers/server.ts';
import { comfyFeaturesGraph } from '../../protocol/workflow/ui-examples.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

function post(path: string, body: unknown) {
  return fetch(`${t.base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('catalog', () => {
  it('lists the core node types with ComfyUI object_info fields and our attention modes', async () => {
    const catalog = await json(await fetch(`${t.base}/api/node-types`));
    for (const type of ['CheckpointLoaderSimple', 'DiffusersLoader', 'CLIPTextEncode', 'EmptyLatentImage', 'KSampler', 'VAEDecode', 'VAEDecodeTiled', 'VAEEncode', 'LoadImage', 'SaveImage', 'PreviewImage']) {
      expect(catalog[type], type).toBeDefined();
    }
    expect(catalog.KSampler.input.required.attention[0]).toEqual(['auto', 'naive', 'sliced', 'flash']);
    expect(catalog.CheckpointLoaderSimple.input.required.ckpt_name[0]).toContain('tiny-sd.safetensors');
    expect(catalog.SaveImage.output_node).toBe(true);
    const one = await json(await fetch(`${t.base}/object_info/KSampler`));
    expect(Object.keys(one)).toEqual(['KSampler']);
  });
});

describe('workflows', () => {
  const saved = {
    version: 1,
    name: 'tiny',
    nodes: [
      { id: '4', type: 'DiffusersLoader', position: { x: 0, y: 0 }, widgets: { model_path: 'tiny-sd', weight_dtype: 'f32' } },
      { id: '6', type: 'CLIPTextEncode', position: { x: 300, y: 0 }, widgets: { text: 'a small cat' } },
      { id: '7', type: 'CLIPTextEncode', position: { x: 300, y: 200 }, widgets: { text: '' } },
      { id: '5', type: 'EmptyLatentImage', position: { x: 300, y: 400 }, widgets: { width: 64, height: 64, batch_size: 1 } },
      { id: '3', type: 'KSampler', position: { x: 600, y: 0 }, widgets: { seed: 1, steps: 2, cfg: 7.5, sampler_name: 'euler', scheduler: 'normal', denoise: 1, attention: 'flash' } },
      { id: '8', type: 'VAEDecode', position: { x: 900, y: 0 }, widgets: {} },
      { id: '9', type: 'SaveImage', position: { x: 1200, y: 0 }, widgets: { filename_prefix: 'endpoint' } },
    ],
    edges: [
      { from: { node: '4', output: 0 }, to: { node: '3', input: 'model' } },
      { from: { node: '4', output: 1 }, to: { node: '6', input: 'clip' } },
      { from: { node: '4', output: 1 }, to: { node: '7', input: 'clip' } },
      { from: { node: '6', output: 0 }, to: { node: '3', input: 'positive' } },
      { from: { node: '7', output: 0 }, to: { node: '3', input: 'negative' } },
      { from: { node: '5', output: 0 }, to: { node: '3', input: 'latent_image' } },
      { from: { node: '3', output: 0 }, to: { node: '8', input: 'samples' } },
      { from: { node: '4', output: 2 }, to: { node: '8', input: 'vae' } },
      { from: { node: '8', output: 0 }, to: { node: '9', input: 'images' } },
    ],
  };

  it('creates, updates with revisions (stale -> 409), renames, lists and deletes', async () => {
    const created = await post('/api/workflows', { name: 'tiny', workflow: saved });
    expect(created.status).toBe(201);
    expect((await json(created)).revision).toBe(1);
    expect((await post('/api/workflows', { name: 'tiny', workflow: saved })).status).toBe(409);
    const put = (revision: number) =>
      fetch(`${t.base}/api/workflows/tiny`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow: saved, revision }) });
    expect((await put(1)).status).toBe(200);
    const stale = await put(1);
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.code).toBe('stale_revision');
    const list = await json(await fetch(`${t.base}/api/workflows`));
    expect(list.map((w: { name: string }) => w.name)).toContain('tiny');
    const renamed = await post('/api/workflows/tiny/rename', { newName: 'tiny2', revision: 2 });
    expect(renamed.status).toBe(200);
    expect((await fetch(`${t.base}/api/workflows/tiny`)).status).toBe(404);
    expect((await fetch(`${t.base}/api/workflows/tiny2?x=1`, { method: 'DELETE' })).status).toBe(200);
  });

  it('serves the shipped default workflow for a fresh editor', async () => {
    const record = await json(await fetch(`${t.base}/api/workflows/default`));
    expect(record.workflow.nodes.some((n: { type: string }) => n.type === 'KSampler')).toBe(true);
  });

  it('runs a saved workflow as an HTTP endpoint with input overrides and answers with its outputs', async () => {
    expect((await post('/api/workflows', { name: 'endpoint', workflow: saved })).status).toBe(201);
    const response = await post('/api/workflows/endpoint/run', { '3.seed': 7, '6.text': 'a small dog' });
    const body = await json(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.status).toBe('success');
    expect(body.files).toHaveLength(1);
    const png = Buffer.from(await (await fetch(`${t.base}${body.files[0].url}`)).arrayBuffer());
    expect(decodePng(png).width).toBe(64);
    const prompt = JSON.parse(readPngText(png).prompt);
    expect(prompt['3'].inputs.seed).toBe(7);
    expect(prompt['6'].inputs.text).toBe('a small dog');

    const queuedOnly = await post('/api/workflows/endpoint/run?wait=false', {});
    expect(queuedOnly.status).toBe(202);
    const { id } = await json(queuedOnly);
    expect((await waitForRun(t.base, id)).status).toBe('success');
  });

  it("runs a saved ComfyUI UI-format workflow as an endpoint: overrides by node id, notes and muted nodes left out, bypassed ones passed through", async () => {
    const ui = comfyFeaturesGraph();
    expect((await post('/api/workflows', { name: 'ui-endpoint', workflow: ui })).status).toBe(201);
    const response = await post('/api/workflows/ui-endpoint/run', { '5.seed': 9, '2.text': 'a small dog' });
    const body = await json(response);
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.files.map((f: { filename: string }) => f.filename)).toEqual([expect.stringMatching(/^editor-comfy_\d{5}_\.png$/)]);
    const png = Buffer.from(await (await fetch(`${t.base}${body.files[0].url}`)).arrayBuffer());
    expect(decodePng(png).width).toBe(64); // ImageScaleBy 0.5 bypassed
    const text = readPngText(png);
    const prompt = JSON.parse(text.prompt);
    expect(Object.keys(prompt).sort((a, b) => Number(a) - Number(b))).toEqual(['1', '2', '3', '4', '5', '6', '8']);
    expect(prompt['5'].inputs.seed).toBe(9);
    expect(prompt['2'].inputs.text).toBe('a small dog');
    // The drawn workflow rides along as ComfyUI's "workflow" chunk: its group and notes come back with the PNG.
    const workflow = JSON.parse(text.workflow);
    expect(workflow.groups[0].title).toBe('Loaders');
    expect(workflow.nodes.map((n: { type: string }) => n.type)).toContain('MarkdownNote');
  });
});

describe('runs', () => {
  it('keeps every run reachable at /api/runs/:id: "history" (the history page) is not a run id a client may choose', async () => {
    for (const prompt_id of ['history', 'HISTORY']) {
      const refused = await post('/prompt', { prompt: tinyTxt2img({ prefix: 'hist' }), prompt_id });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(await json(refused))).toMatch(/prompt_id[^]*history/);
    }
    const accepted = await post('/prompt', { prompt: tinyTxt2img({ prefix: 'hist' }), prompt_id: 'history-2' });
    expect(accepted.status).toBe(200);
    expect((await waitForRun(t.base, 'history-2')).status).toBe('success');
    const job = await json(await fetch(`${t.base}/api/runs/history-2`));
    expect(job.id).toBe('history-2');
    const page = await json(await fetch(`${t.base}/api/runs/history?limit=50`));
    expect(page.jobs.map((j: { id: string }) => j.id)).toContain('history-2');
  });

  it('queues a run, streams its events to the subscribed socket only, and serves the image with the workflow inside', async () => {
    const watcher: Socket = connect(t.base, { transports: ['websocket'] });
    const bystander: Socket = connect(t.base, { transports: ['websocket'] });
    await Promise.all([watcher, bystander].map((s) => new Promise<void>((resolve) => s.on('connect', () => resolve()))));
    const seen: RunEvent[] = [];
    const strays: RunEvent[] = [];
    bystander.on('run:event', (e: RunEvent) => strays.push(e));

    // Subscribing before queueing: the run id is chosen by the server, so subscribe right after.
    const response = await post('/api/runs', { workflow: tinyTxt2img({ seed: 3, steps: 3, prefix: 'runs' }), clientId: 'editor-1' });
    expect(response.status).toBe(202);
    const { id } = await json(response);
    const done = new Promise<void>((resolve) => {
      watcher.on('run:event', (e: RunEvent) => {
        seen.push(e);
        if (e.type === 'execution_success' || e.type === 'execution_error') resolve();
      });
    });
    watcher.emit('run:subscribe', { runId: id });
    await done;
    const types = seen.map((e) => e.type);
    expect(types).toContain('executing');
    expect(types.filter((x) => x === 'progress').length).toBeGreaterThanOrEqual(1);
    expect(types).toContain('stats');
    expect(types.at(-1)).toBe('execution_success');
    const executed = seen.find((e) => e.type === 'executed' && e.node === '9') as Extract<RunEvent, { type: 'executed' }>;
    const image = (executed.output.images as { filename: string; subfolder: string; type: string }[])[0];
    expect(image.filename).toMatch(/^runs_\d{5}_\.png$/);
    const png = Buffer.from(await (await fetch(`${t.base}/view?${new URLSearchParams({ filename: image.filename, subfolder: image.subfolder, type: image.type })}`)).arrayBuffer());
    expect(JSON.parse(readPngText(png).prompt)['3'].inputs.seed).toBe(3);
    expect(strays).toEqual([]);

    const job = await json(await fetch(`${t.base}/api/runs/${id}`));
    expect(job.status).toBe('success');
    const history = await json(await fetch(`${t.base}/api/runs/history?limit=5`));
    expect(history.jobs.map((j: { id: string }) => j.id)).toContain(id);
    const outputs = await json(await fetch(`${t.base}/api/outputs`));
    expect(outputs.files.map((f: { filename: string }) => f.filename)).toContain(image.filename);
    watcher.close();
    bystander.close();
  });

  it('refuses an invalid workflow with every issue located, and keeps serving', async () => {
    const workflow = tinyTxt2img();
    (workflow['3'].inputs as Record<string, unknown>).steps = 0;
    (workflow['3'].inputs as Record<string, unknown>).model = ['6', 0]; // CONDITIONING into MODEL
    delete (workflow['8'].inputs as Record<string, unknown>).vae;
    const response = await post('/api/runs', { workflow });
    expect(response.status).toBe(400);
    const { error } = await json(response);
    expect(error.code).toBe('invalid_workflow');
    const codes = error.issues.map((i: { code: string; nodeId: string; input: string }) => `${i.code}:${i.nodeId}.${i.input}`).sort();
    expect(codes).toEqual(['input_missing:8.vae', 'type_mismatch:3.model', 'value_out_of_range:3.steps']);
    expect((await fetch(`${t.base}/api/system`)).status).toBe(200);
  });

  it('interrupts a running job and deletes a queued one', async () => {
    const first = await json(await post('/api/runs', { workflow: tinyTxt2img({ seed: 11, steps: 200 }) }));
    const second = await json(await post('/api/runs', { workflow: tinyTxt2img({ seed: 12, steps: 2 }) }));
    // Wait until the first is running, then interrupt it.
    for (let i = 0; i < 200; i++) {
      const state = await json(await fetch(`${t.base}/api/runs`));
      if (state.running.some((j: { id: string }) => j.id === first.id)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await json(await fetch(`${t.base}/api/runs/${second.id}`, { method: 'DELETE' }))).deleted).toBe(true);
    expect((await json(await post('/api/interrupt', { runId: first.id }))).interrupted).toBe(true);
    expect((await waitForRun(t.base, first.id)).status).toBe('interrupted');
    expect((await fetch(`${t.base}/api/runs/${second.id}`)).status).toBe(404);
    // The runner is still usable.
    const third = await json(await post('/api/runs', { workflow: tinyTxt2img({ seed: 13, steps: 1 }) }));
    expect((await waitForRun(t.base, third.id)).status).toBe('success');
  });
});
