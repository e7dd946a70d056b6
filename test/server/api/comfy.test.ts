// ComfyUI compatibility: an independent ComfyUI API client from npm (comfy-ui-client) drives the
// server unchanged, plus our own requests for the payload shapes ComfyUI clients rely on.
import fs from 'node:fs';
import path from 'node:path';

import { ComfyUIClient } from 'comfy-ui-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../../nodes/image/png.ts';
import { encodePng } from '../../../nodes/image/png.ts';
import { json, startTestServer, type TestServer, tinyTxt2img } from '../../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
});

describe('ComfyUI API', () => {
  it('an unmodified ComfyUI client queues an API-format workflow, waits on /ws and downloads the image', async () => {
    const client = new ComfyUIClient(t.address, 'comfy-client-1');
    await client.connect();
    try {
      const stats = await client.getSystemStats();
      expect(stats.devices.length).toBeGreaterThan(0);
      const info = await client.getObjectInfo('KSampler');
      expect(info.KSampler.input.required.sampler_name[0]).toContain('euler');
      const images = await client.getImages(tinyTxt2img({ seed: 5, steps: 2, prefix: 'comfy' }));
      const [ref] = images['9'];
      expect(ref.image.filename).toMatch(/^comfy_\d{5}_\.png$/);
      const png = decodePng(Buffer.from(await ref.blob.arrayBuffer()));
      expect([png.width, png.height]).toEqual([64, 64]);
      const history = await client.getHistory();
      expect(Object.values(history).some((h) => JSON.stringify(h.outputs).includes(ref.image.filename))).toBe(true);
      const queue = await client.getQueue();
      expect(queue).toHaveProperty('queue_running');
    } finally {
      await client.disconnect();
    }
  });

  it('sends ComfyUI\'s /ws messages with their payload shapes, only to the client that queued', async () => {
    const messages: { type: string; data: Record<string, unknown> }[] = [];
    const binary: Buffer[] = [];
    const mine = new WebSocket(`ws://${t.address}/ws?clientId=mine`);
    const other = new WebSocket(`ws://${t.address}/ws?clientId=other`);
    const otherTypes: string[] = [];
    other.on('message', (data, isBinary) => {
      if (!isBinary) otherTypes.push(JSON.parse(data.toString()).type);
    });
    await Promise.all([mine, other].map((ws) => new Promise((resolve) => ws.on('open', resolve))));
    const done = new Promise<void>((resolve) => {
      mine.on('message', (data, isBinary) => {
        if (isBinary) return void binary.push(data as Buffer);
        const message = JSON.parse(data.toString());
        messages.push(message);
        if (message.type === 'executing' && message.data.node === null) resolve();
      });
    });
    const response = await fetch(`${t.base}/prompt`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Previews on for this prompt (the server's --preview-method is none, ComfyUI's default).
      body: JSON.stringify({ prompt: tinyTxt2img({ seed: 6, steps: 2 }), client_id: 'mine', extra_data: { preview_method: 'latent2rgb' } }),
    });
    const queued = await json(response);
    expect(queued).toMatchObject({ prompt_id: expect.any(String), number: expect.any(Number), node_errors: {} });
    await done;
    const types = messages.map((m) => m.type);
    expect(types[0]).toBe('status');
    for (const type of ['execution_start', 'execution_cached', 'executing', 'progress', 'executed', 'execution_success']) expect(types, type).toContain(type);
    const progress = messages.find((m) => m.type === 'progress')!;
    expect(progress.data).toMatchObject({ value: 1, max: 2, prompt_id: queued.prompt_id, node: '3' });
    const executed = messages.find((m) => m.type === 'executed')!;
    expect(executed.data).toMatchObject({ node: '9', prompt_id: queued.prompt_id, output: { images: [expect.objectContaining({ type: 'output' })] } });
    // Preview frames: 4-byte event type 1, 4-byte format 2 (PNG), then a PNG.
    expect(binary.length).toBeGreaterThan(0);
    expect(binary[0].readUInt32BE(0)).toBe(1);
    expect(binary[0].readUInt32BE(4)).toBe(2);
    expect(decodePng(binary[0].subarray(8)).width).toBe(8);
    expect(otherTypes.filter((x) => x !== 'status')).toEqual([]);
    mine.close();
    other.close();
  });

  it('reports validation failures as ComfyUI does (node_errors keyed by node id)', async () => {
    const prompt = tinyTxt2img();
    (prompt['3'].inputs as Record<string, unknown>).sampler_name = 'not_a_sampler';
    const response = await fetch(`${t.base}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt }) });
    expect(response.status).toBe(400);
    const body = await json(response);
    expect(body.error.type).toBe('prompt_outputs_failed_validation');
    expect(body.node_errors['3'].class_type).toBe('KSampler');
    expect(body.node_errors['3'].errors[0].extra_info.input_name).toBe('sampler_name');
  });

  it('uploads an image (checked to be an image), lists the queue, clears history', async () => {
    const form = new FormData();
    const png = encodePng({ width: 8, height: 8, channels: 3, data: new Uint8Array(192).fill(128) });
    form.append('image', new Blob([png]), 'input.png');
    const uploaded = await json(await fetch(`${t.base}/upload/image`, { method: 'POST', body: form }));
    expect(uploaded).toEqual({ name: 'input.png', subfolder: '', type: 'input' });
    const again = await json(await fetch(`${t.base}/upload/image`, { method: 'POST', body: form }));
    expect(again.name).toBe('input (1).png'); // never overwritten unless asked
    const view = await fetch(`${t.base}/view?filename=input.png&type=input`);
    expect(view.headers.get('content-type')).toBe('image/png');

    const fake = new FormData();
    fake.append('image', new Blob([Buffer.from('<script>alert(1)</script>')]), 'evil.png');
    const refused = await fetch(`${t.base}/upload/image`, { method: 'POST', body: fake });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.code).toBe('not_an_image');

    expect(await json(await fetch(`${t.base}/queue`))).toEqual({ queue_running: [], queue_pending: [] });
    expect(await json(await fetch(`${t.base}/prompt`))).toEqual({ exec_info: { queue_remaining: 0 } });
    expect((await fetch(`${t.base}/history`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"clear":true}' })).status).toBe(200);
    expect(await json(await fetch(`${t.base}/history`))).toEqual({});
  });

  it('GET /embeddings lists the names embedding: accepts (ComfyUI\'s route)', async () => {
    expect(await json(await fetch(`${t.base}/embeddings`))).toEqual([]);
    fs.mkdirSync(path.join(t.modelsDir, 'embeddings'), { recursive: true });
    fs.writeFileSync(path.join(t.modelsDir, 'embeddings', 'style.safetensors'), '');
    fs.writeFileSync(path.join(t.modelsDir, 'embeddings', 'old.pt'), '');
    expect(await json(await fetch(`${t.base}/embeddings`))).toEqual(['style']);
  });

  it('GET /models names the model folders and /models/{folder} lists their files, as ComfyUI\'s routes do', async () => {
    expect(await json(await fetch(`${t.base}/models`))).toEqual(expect.arrayContaining(['checkpoints', 'loras', 'vae', 'embeddings']));
    fs.mkdirSync(path.join(t.modelsDir, 'vae', 'sub'), { recursive: true });
    fs.writeFileSync(path.join(t.modelsDir, 'vae', 'sub', 'ft-mse.safetensors'), '');
    fs.writeFileSync(path.join(t.modelsDir, 'vae', 'old.pt'), '');
    expect(await json(await fetch(`${t.base}/api/models/vae`))).toEqual(['sub/ft-mse.safetensors']);
    expect((await fetch(`${t.base}/models/nothing`)).status).toBe(404);
  });

  it('GET /models lists upscale_models, and /models/upscale_models its files (pickles too, which the loader refuses)', async () => {
    expect(await json(await fetch(`${t.base}/models`))).toContain('upscale_models');
    fs.mkdirSync(path.join(t.modelsDir, 'upscale_models'), { recursive: true });
    fs.writeFileSync(path.join(t.modelsDir, 'upscale_models', '4x.safetensors'), '');
    fs.writeFileSync(path.join(t.modelsDir, 'upscale_models', 'RealESRGAN_x4plus.pth'), '');
    expect(await json(await fetch(`${t.base}/models/upscale_models`))).toEqual(['4x.safetensors', 'RealESRGAN_x4plus.pth']);
  });

  it('GET /models lists the controlnet folder and /models/controlnet its .safetensors files (ComfyUI\'s routes)', async () => {
    expect(await json(await fetch(`${t.base}/models`))).toContain('controlnet');
    fs.mkdirSync(path.join(t.modelsDir, 'controlnet', 'sd15'), { recursive: true });
    fs.writeFileSync(path.join(t.modelsDir, 'controlnet', 'sd15', 'control_v11p_sd15_canny.safetensors'), '');
    expect(await json(await fetch(`${t.base}/models/controlnet`))).toEqual(['sd15/control_v11p_sd15_canny.safetensors']);
  });
});
