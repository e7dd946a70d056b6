// comfy-ui-client driven against `latentflow serve` exactly as its README shows (connect, getImages,
// saveImages, disconnect), plus its other calls: the catalog, upload then img2img, interrupt, queue and
// history, embeddings and extensions.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ComfyUIClient, type Prompt } from 'comfy-ui-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import { CHECKPOINT, img2imgPrompt, startServeProcess, testPicture, txt2imgPrompt } from './prompts.ts';

let t: Awaited<ReturnType<typeof startServeProcess>>;
let client: ComfyUIClient;
beforeAll(async () => {
  t = await startServeProcess();
  client = new ComfyUIClient(t.address, 'baadbabe-b00b-4206-9420-deadd00d1337');
  await client.connect();
});
afterAll(async () => {
  await client?.disconnect();
  await t?.close();
});

describe('comfy-ui-client against latentflow serve', () => {
  it("runs the README's prompt and saves its images", async () => {
    const prompt = txt2imgPrompt() as Prompt;
    prompt['6'].inputs.text = 'masterpiece best quality man';
    prompt['3'].inputs.seed = 5;
    const images = await client.getImages(prompt);
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-comfy-ui-client-'));
    try {
      await client.saveImages(images, outputDir);
      const [saved] = fs.readdirSync(outputDir);
      expect(saved).toMatch(/^ComfyUI_\d{5}_\.png$/);
      const png = decodePng(fs.readFileSync(path.join(outputDir, saved)));
      expect([png.width, png.height]).toEqual([64, 64]);
    } finally {
      fs.rmSync(outputDir, { recursive: true, force: true });
    }
  });

  it('reads the catalog, embeddings and extensions', async () => {
    const info = await client.getObjectInfo('CheckpointLoaderSimple');
    expect(info.CheckpointLoaderSimple.input.required.ckpt_name[0]).toContain(CHECKPOINT);
    expect(await client.getObjectInfo('NoSuchNode')).toEqual({});
    expect(await client.getEmbeddings()).toEqual([]);
    expect(await client.getExtensions()).toEqual([]);
    expect((await client.getSystemStats()).devices[0].type).toBe('cpu');
  });

  it('uploads a picture into a subfolder and runs img2img on it', async () => {
    const uploaded = await client.uploadImage(testPicture(), 'cat.png');
    expect(uploaded).toEqual({ name: 'cat.png', subfolder: '', type: 'input' });
    const images = await client.getImages(img2imgPrompt(uploaded.name) as Prompt);
    const [ref] = images['9'];
    expect(ref.image.filename).toMatch(/^img2img_\d{5}_\.png$/);
    expect(decodePng(Buffer.from(await ref.blob.arrayBuffer())).width).toBe(64);
  });

  it('interrupts, lists the queue and history, clears history', async () => {
    const { prompt_id } = await client.queuePrompt(txt2imgPrompt({ steps: 1000, prefix: 'long' }) as Prompt);
    for (let i = 0; i < 500 && (await client.getQueue()).queue_running.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await client.getQueue()).queue_running[0] as unknown as unknown[]).toContain(prompt_id);
    await client.interrupt();
    let entry;
    for (let i = 0; i < 500 && !(entry = (await client.getHistory(prompt_id))[prompt_id]); i++) await new Promise((r) => setTimeout(r, 20));
    expect((entry as unknown as { status: unknown }).status).toMatchObject({ status_str: 'error', completed: false });
    expect(Object.keys(await client.getHistory()).length).toBe(3);
    await client.editHistory({ clear: true });
    expect(await client.getHistory()).toEqual({});
  });
});
