// @saintno/comfyui-sdk, the most downloaded ComfyUI client on npm, driven against a real latentflow
// server exactly as its README shows: ComfyApi.init().waitForReady(), the model and sampler lists,
// PromptBuilder + CallWrapper with progress and previews, the output image, upload then img2img,
// interrupt, queue and history, settings, user data, freeMemory.
import { CallWrapper, ComfyApi, PromptBuilder } from '@saintno/comfyui-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { decodePng } from '../../nodes/image/png.ts';
import { CHECKPOINT, img2imgPrompt, startServeProcess, testPicture, txt2imgPrompt } from './prompts.ts';

let t: Awaited<ReturnType<typeof startServeProcess>>;
let api: ComfyApi;
beforeAll(async () => {
  t = await startServeProcess();
  api = new ComfyApi(t.base);
  await api.init(5, 200).waitForReady();
});
afterAll(async () => {
  api?.destroy();
  await t?.close();
});

/** A prompt as ComfyUI's "Save (API format)" writes it, with each node's `_meta.title` (this SDK's type wants it). */
function withTitles(prompt: Record<string, { class_type: string; inputs: Record<string, unknown> }>) {
  return Object.fromEntries(Object.entries(prompt).map(([id, node]) => [id, { ...node, _meta: { title: node.class_type } }]));
}

/** The README's txt2img builder over ComfyUI's default API prompt. */
function txt2img(prompt = txt2imgPrompt()) {
  return new PromptBuilder(withTitles(prompt), ['positive', 'negative', 'checkpoint', 'seed', 'batch', 'step', 'cfg', 'sampler', 'sheduler', 'width', 'height'], ['images'])
    .setInputNode('checkpoint', '4.inputs.ckpt_name')
    .setInputNode('seed', '3.inputs.seed')
    .setInputNode('batch', '5.inputs.batch_size')
    .setInputNode('negative', '7.inputs.text')
    .setInputNode('positive', '6.inputs.text')
    .setInputNode('cfg', '3.inputs.cfg')
    .setInputNode('sampler', '3.inputs.sampler_name')
    .setInputNode('sheduler', '3.inputs.scheduler')
    .setInputNode('step', '3.inputs.steps')
    .setInputNode('width', '5.inputs.width')
    .setInputNode('height', '5.inputs.height')
    .setOutputNode('images', '9');
}

/**
 * Queues a long job and resolves once it runs; `release()` interrupts it. CallWrapper listens for its
 * prompt's events only after POST /prompt has answered *and* its body was read, so a prompt that
 * starts at once (everything upstream of KSampler cached) can send `executing` before the SDK listens,
 * and the SDK then waits forever (it does against ComfyUI too). Queued behind a running job, the
 * prompt starts only when the test releases it, after the SDK has its id.
 */
async function blocker(): Promise<{ release(): Promise<void> }> {
  const queued = await api.appendPrompt(withTitles(txt2imgPrompt({ steps: 1000, prefix: 'blocker', seed: Math.floor(Math.random() * 1e9) })));
  const deadline = Date.now() + 30_000;
  while (!(await api.getQueue()).queue_running.some((item) => item[1] === queued.prompt_id)) {
    if (Date.now() > deadline) throw new Error('the blocker job never started');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    release: async () => {
      const res = await fetch(`${t.base}/interrupt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt_id: queued.prompt_id }) });
      expect(res.ok).toBe(true);
    },
  };
}

/** CallWrapper as the README uses it, collecting what its callbacks report; its prompt waits behind a blocker. */
async function run(builder: unknown) {
  const progress: Array<{ value: number; max: number }> = [];
  const previews: Blob[] = [];
  let failure: Error | undefined;
  const ahead = await blocker();
  const done = new CallWrapper(api, builder as never)
    .onPending(() => void ahead.release())
    .onProgress((info) => progress.push({ value: info.value, max: info.max }))
    .onPreview((blob) => previews.push(blob))
    .onFailed((error) => { failure = error; })
    .run();
  return { done, progress, previews, failure: () => failure };
}

describe('@saintno/comfyui-sdk against latentflow serve', () => {
  it('is ready, lists checkpoints, samplers and node definitions', async () => {
    expect(api.isReady).toBe(true);
    expect(await api.getCheckpoints()).toContain(CHECKPOINT);
    const { sampler, scheduler } = (await api.getSamplerInfo()) as unknown as { sampler: [string[]]; scheduler: [string[]] };
    expect(sampler[0]).toContain('euler');
    expect(scheduler[0]).toContain('karras');
    expect(Object.keys((await api.getNodeDefs('KSampler'))!)).toEqual(['KSampler']);
    // Its extension probes ask for node types latentflow lacks: ComfyUI answers {} and so do we.
    expect(api.availableFeatures).toEqual({ manager: false, monitor: false });
    expect(await api.getEmbeddings()).toEqual([]);
    expect(await api.getExtensions()).toEqual([]);
  });

  it('runs txt2img through PromptBuilder and CallWrapper with progress and no previews (preview method none)', async () => {
    const builder = txt2img().input('checkpoint', CHECKPOINT).input('seed', 5).input('step', 3).input('width', 64).input('height', 64).input('positive', 'A picture of cute dog on the street');
    const { done, progress, previews, failure } = await run(builder);
    const output = (await done) as { images: { images: Array<{ filename: string; subfolder: string; type: string }> } };
    expect(failure()).toBeUndefined();
    expect(progress.map((p) => `${p.value}/${p.max}`)).toEqual(['1/3', '2/3', '3/3']);
    expect(previews).toEqual([]);
    const [image] = output.images.images;
    expect(api.getPathImage(image)).toBe(`${t.base}/view?filename=${image.filename}&type=output&subfolder=`);
    const png = decodePng(Buffer.from(await (await api.getImage(image)).arrayBuffer()));
    expect([png.width, png.height]).toEqual([64, 64]);
    const history = await api.getHistory((await api.getHistories(10)) && Object.keys(await api.getHistories(10)).at(-1)!);
    expect(history?.status?.completed).toBe(true);
  });

  it('uploads a picture and runs img2img on it', async () => {
    const uploaded = await api.uploadImage(testPicture(), 'dog.png', { subfolder: 'pets' });
    expect(uploaded).not.toBe(false);
    const { info } = uploaded as { info: { filename: string; subfolder: string } };
    expect(info).toMatchObject({ filename: 'dog.png', subfolder: 'pets' });
    const builder = new PromptBuilder(withTitles(img2imgPrompt(`${info.subfolder}/${info.filename}`)), ['seed'], ['images']).setInputNode('seed', '3.inputs.seed').setOutputNode('images', '9').input('seed', 11);
    const { done, failure } = await run(builder);
    const output = (await done) as { images: { images: Array<{ filename: string }> } };
    expect(failure()).toBeUndefined();
    expect(output.images.images[0].filename).toMatch(/^img2img_\d{5}_\.png$/);
  });

  it('interrupts a running prompt; the queue and history say so', async () => {
    const builder = txt2img(txt2imgPrompt({ steps: 1000, prefix: 'long' }));
    const { done, progress, failure } = await run(builder);
    let finished = false;
    void done.then(() => { finished = true; });
    while (progress.length === 0 && !finished) await new Promise((r) => setTimeout(r, 20));
    expect(progress.length).toBeGreaterThan(0);
    expect((await api.getQueue()).queue_running).toHaveLength(1);
    await api.interrupt();
    expect(await done).toBe(false);
    expect(failure()?.name).toBe('ExecutionInterruptedError');
    expect(progress.length).toBeLessThan(1000);
    const queue = await api.getQueue();
    expect([queue.queue_running.length, queue.queue_pending.length]).toEqual([0, 0]);
  });

  it('keeps settings and user data, and frees memory', async () => {
    await api.storeSettings({ 'Comfy.LinkRenderMode': 2 });
    await api.storeSetting('Comfy.Locale', 'en');
    expect(await api.getSettings()).toEqual({ 'Comfy.LinkRenderMode': 2, 'Comfy.Locale': 'en' });
    expect(await api.getSetting('Comfy.Locale')).toBe('en');
    expect(await api.getUserConfig()).toEqual({ storage: 'server', migrated: true });
    await api.storeUserData('workflows/dog.json', txt2imgPrompt());
    expect(await api.listUserData('workflows')).toEqual(['dog.json']);
    expect(await (await api.getUserData('workflows/dog.json')).json()).toEqual(txt2imgPrompt());
    expect((await api.moveUserData('workflows/dog.json', 'workflows/cat.json')).status).toBe(200);
    await api.deleteUserData('workflows/cat.json');
    expect(await api.listUserData('workflows')).toEqual([]);
    expect(await api.freeMemory(true, true)).toBe(true);
  });
});

describe('@saintno/comfyui-sdk with --preview-method auto', () => {
  it('gets binary previews of each step', async () => {
    const server = await startServeProcess(['--preview-method', 'auto']);
    const client = new ComfyApi(server.base);
    try {
      await client.init(5, 200).waitForReady();
      const previews: Blob[] = [];
      const builder = txt2img().input('checkpoint', CHECKPOINT).input('step', 2).input('width', 64).input('height', 64);
      const output = await new CallWrapper(client, builder as never).onPreview((blob) => previews.push(blob)).run();
      expect(output).not.toBe(false);
      expect(previews.length).toBe(2);
      // The frames are PNG (format 2 at byte 4, as ComfyUI sends them); this SDK reads the format from
      // byte 0 and so labels every preview image/jpeg, from ComfyUI too.
      expect(previews[0].type).toBe('image/jpeg');
      expect(decodePng(Buffer.from(await previews[0].arrayBuffer())).width).toBe(8);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});
