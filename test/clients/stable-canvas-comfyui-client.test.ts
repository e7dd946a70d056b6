// @stable-canvas/comfyui-client driven against `latentflow serve` as its README shows: Client with ws
// and fetch, getSystemStats + connect, the model/sampler lists, a Workflow built with `classes` and
// invoked, enqueue with progress, interrupt, queue and history calls, free, settings; the images it
// collects hold only the outputs while previews are off (ComfyUI's default), and the previews too once on.
import { Client, Workflow } from '@stable-canvas/comfyui-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import { CHECKPOINT, startServeProcess, testPicture, txt2imgPrompt } from './prompts.ts';

let t: Awaited<ReturnType<typeof startServeProcess>>;
let client: Client;
beforeAll(async () => {
  t = await startServeProcess();
  client = new Client({ api_host: t.address, WebSocket: WebSocket as never, fetch });
  await Promise.all([client.getSystemStats(), client.connect()]);
});
afterAll(async () => {
  client?.close();
  await t?.close();
});

/** The README's minimal workflow, on the tiny checkpoint; `image` makes it img2img from an uploaded file. */
function readmeWorkflow({ steps = 2, image }: { steps?: number; image?: string } = {}) {
  const workflow = new Workflow();
  const cls = workflow.classes;
  const [model, clip, vae] = cls.CheckpointLoaderSimple({ ckpt_name: CHECKPOINT });
  const enc = (text: string) => cls.CLIPTextEncode({ text, clip })[0];
  const latent = image
    ? cls.VAEEncode({ pixels: cls.LoadImage({ image, upload: 'image' } as never)[0], vae })[0]
    : cls.EmptyLatentImage({ width: 64, height: 64, batch_size: 1 })[0];
  const [samples] = cls.KSampler({
    seed: 7, steps, cfg: 4, sampler_name: 'euler', scheduler: 'karras', denoise: image ? 0.6 : 1,
    model, positive: enc('best quality, 1girl'), negative: enc('worst quality'), latent_image: latent,
  });
  cls.SaveImage({ filename_prefix: 'from-sc-comfy-ui-client', images: cls.VAEDecode({ samples, vae })[0] });
  return workflow;
}

describe('@stable-canvas/comfyui-client against latentflow serve', () => {
  it('lists models, samplers and schedulers', async () => {
    expect(await client.getSDModels()).toContain(CHECKPOINT);
    expect(await client.getSamplers()).toContain('dpmpp_2m');
    expect(await client.getSchedulers()).toContain('karras');
    expect(await client.getEmbeddings()).toEqual([]);
  });

  it('invokes a Workflow: the images are the saved outputs only (no preview frames while previews are off)', async () => {
    const progress: string[] = [];
    const out = await readmeWorkflow({ steps: 3 }).invoke(client, { progress: (p) => progress.push(`${p.value}/${p.max}`) });
    expect(progress).toEqual(['1/3', '2/3', '3/3']);
    expect(out.images).toHaveLength(1);
    const [image] = out.images;
    expect(image.type).toBe('url');
    const png = decodePng(Buffer.from(await (await fetch(image.data as string)).arrayBuffer()));
    expect([png.width, png.height]).toEqual([64, 64]);
  });

  it('uploads through fetchApi and runs img2img', async () => {
    const form = new FormData();
    form.append('image', new Blob([testPicture()]), 'pet.png');
    form.append('subfolder', 'pets');
    const uploaded = await (await client.fetchApi('/upload/image', { method: 'POST', body: form })).json();
    expect(uploaded).toEqual({ name: 'pet.png', subfolder: 'pets', type: 'input' });
    const out = await readmeWorkflow({ image: 'pets/pet.png' }).invoke(client);
    expect(out.images).toHaveLength(1);
  });

  it('interrupts by prompt id; queue, history, free and settings calls answer', async () => {
    // (enqueue() waits for executed or execution_error; an interrupted prompt sends neither, from ComfyUI
    // too, so the README's queuePrompt + status polling is the way to watch one.)
    const { prompt_id } = (await client.queuePrompt(0, { prompt: txt2imgPrompt({ steps: 1000, prefix: 'long' }), workflow: undefined })) as { prompt_id: string };
    for (let i = 0; i < 500 && !(await client.getPromptStatus(prompt_id)).running; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await client.getQueue()).Running[0]).toContain(prompt_id);
    await client.interrupt(prompt_id);
    for (let i = 0; i < 500 && !(await client.getPromptStatus(prompt_id)).done; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await client.getPromptStatus(prompt_id)).toEqual({ running: false, pending: false, done: true });
    expect((await client.getHistory()).History).toHaveLength(3);
    await client.clearItems('history');
    expect((await client.getHistory()).History).toEqual([]);
    await client.free({ unload_models: true, free_memory: true });
    await client.storeSetting('Comfy.Locale', 'en');
    expect(await client.getSetting('Comfy.Locale')).toBe('en');
  });
});

describe('@stable-canvas/comfyui-client with --preview-method latent2rgb', () => {
  it('collects the step previews besides the output', async () => {
    const server = await startServeProcess(['--preview-method', 'latent2rgb']);
    const c = new Client({ api_host: server.address, WebSocket: WebSocket as never, fetch });
    try {
      await Promise.all([c.getSystemStats(), c.connect()]);
      const out = await readmeWorkflow({ steps: 2 }).invoke(c);
      const previews = out.images.filter((i) => i.type === 'buff');
      expect(previews).toHaveLength(2);
      expect(decodePng(Buffer.from((previews[0] as { data: ArrayBuffer }).data)).width).toBe(8);
      expect(out.images.filter((i) => i.type === 'url')).toHaveLength(1);
    } finally {
      c.close();
      await server.close();
    }
  });
});
