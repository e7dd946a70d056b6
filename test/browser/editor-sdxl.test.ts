/**
 * An SDXL workflow in the editor (Debian's chromium, headless) against the real server: the tiny SDXL's
 * single file through CheckpointLoaderSimple, CLIPTextEncodeSDXL for both prompts, KSampler, VAEDecode and
 * SaveImage, the SDXL fixture's txt2img (128x128, seed 3001, Euler 'leading', 4 steps, guidance 5). The
 * prompt is typed into the node, the run starts from the toolbar's Run button, and the picture the
 * SaveImage node shows is the fixture's reference PNG within 2/255; the same graph queued through
 * ComfyUI's API (/prompt: its nodes served from the cache, SaveImage run again) gives the same picture.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SavedWorkflow } from '../../protocol/index.ts';
import { compareToReference, SDXL_FIXTURES } from '../helpers/sdxl.ts';
import { ARTIFACTS, importWorkflow, openEditor, startHarness, TXT2IMG, type Harness } from './harness.ts';

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  page = h.page;
  await openEditor(h);
});

afterAll(async () => {
  await h?.close();
});

const PROMPT = 'a watercolor lighthouse on a cliff, stormy sea';
const NEGATIVE = 'low quality';
/** CLIPTextEncodeSDXL with ComfyUI's size widgets at the picture's size: the fixture pipeline's time ids. */
const sdxlPrompt = (text: string) => ({ width: 128, height: 128, crop_w: 0, crop_h: 0, target_width: 128, target_height: 128, text_g: text, text_l: text });

/**
 * The fixture's txt2img in the saved form: the harness's TXT2IMG graph (its ids and edges) with SDXL's loader and
 * prompt nodes and the fixture's settings; the positive prompt is left empty, to be typed in the editor.
 */
const SDXL_NODES: Record<string, Partial<SavedWorkflow['nodes'][number]>> = {
  '1': { type: 'CheckpointLoaderSimple', widgets: { ckpt_name: 'tiny-sdxl.safetensors', weight_dtype: 'f32', precision: 'fp32' } },
  '2': { type: 'CLIPTextEncodeSDXL', widgets: sdxlPrompt('') },
  '3': { type: 'CLIPTextEncodeSDXL', position: { x: 340, y: 420 }, widgets: sdxlPrompt(NEGATIVE) },
  '4': { position: { x: 340, y: 840 }, widgets: { width: 128, height: 128, batch_size: 1 } },
  '5': { widgets: { seed: 3001, steps: 4, cfg: 5, sampler_name: 'euler', scheduler: 'diffusers', denoise: 1, attention: 'auto' } },
  '7': { widgets: { filename_prefix: 'editor-sdxl' } },
};
const SDXL_TXT2IMG: SavedWorkflow = { ...TXT2IMG, name: 'sdxl txt2img', nodes: TXT2IMG.nodes.map((node) => ({ ...node, ...SDXL_NODES[node.id] })) };

const nodeEl = (id: string) => page.locator(`[data-node-id="${id}"]`);

/** The bytes of the picture an <img> shows, fetched by the page from the server as the browser does. */
async function shownPng(img: ReturnType<Page['locator']>): Promise<Buffer> {
  const bytes = await img.evaluate(async (el: HTMLImageElement) => [...new Uint8Array(await (await fetch(el.src)).arrayBuffer())]);
  return Buffer.from(bytes);
}

describe('an SDXL workflow in the editor', () => {
  it('runs CheckpointLoaderSimple (tiny SDXL) + CLIPTextEncodeSDXL + KSampler from the UI and shows the reference picture', async () => {
    await importWorkflow(page, 'sdxl-txt2img.json', SDXL_TXT2IMG);
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(9);
    expect(await nodeEl('2').getAttribute('data-node-type')).toBe('CLIPTextEncodeSDXL');
    // The checkpoint list offers the SDXL file and the workflow's choice is kept.
    expect(await nodeEl('1').getByLabel('ckpt_name').inputValue()).toBe('tiny-sdxl.safetensors');

    // Both of SDXL's prompts typed in, as a user does.
    await nodeEl('2').getByLabel('text_g').fill(PROMPT);
    await nodeEl('2').getByLabel('text_l').fill(PROMPT);
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-sdxl-built.png') });

    await page.getByRole('button', { name: '▶ Run', exact: true }).click();
    const image = nodeEl('7').locator('img');
    await image.waitFor({ timeout: 60_000 });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(128);
    await expect.poll(() => page.locator('.lf-progress').getAttribute('data-phase')).toBe('success');
    expect(await page.locator('.lf-issues').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'editor-sdxl-ran.png') });

    const reference = path.join(SDXL_FIXTURES, 'expected', 'pipeline_euler.png');
    const shown = await shownPng(image);
    const { within, max } = compareToReference(shown, reference);
    console.log(`SDXL in the editor: ${(within * 100).toFixed(2)}% of channels within 2/255 of the reference, max difference ${max}`);
    expect(max).toBeLessThanOrEqual(2);

    // The same graph in ComfyUI's API form, queued over HTTP, gives the same picture.
    const apiGraph = Object.fromEntries(SDXL_TXT2IMG.nodes.map((node) => [node.id, { class_type: node.type, inputs: { ...node.widgets } as Record<string, unknown> }]));
    (apiGraph['2'].inputs as Record<string, unknown>).text_g = PROMPT;
    (apiGraph['2'].inputs as Record<string, unknown>).text_l = PROMPT;
    (apiGraph['7'].inputs as Record<string, unknown>).filename_prefix = 'api-sdxl';
    for (const edge of SDXL_TXT2IMG.edges) apiGraph[edge.to.node].inputs[edge.to.input] = [edge.from.node, edge.from.output];
    const queued = await fetch(new URL('prompt', h.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: apiGraph }) });
    expect(queued.status).toBe(200);
    const { prompt_id } = (await queued.json()) as { prompt_id: string };
    let outputs: { images: { filename: string; subfolder: string; type: string }[] } | undefined;
    for (const deadline = Date.now() + 60_000; !outputs; await new Promise((r) => setTimeout(r, 100))) {
      if (Date.now() > deadline) throw new Error('the API run did not finish in 60 s');
      const history = (await (await fetch(new URL(`history/${prompt_id}`, h.url))).json()) as Record<string, { outputs: Record<string, typeof outputs> }>;
      outputs = history[prompt_id]?.outputs['7'];
    }
    const [saved] = outputs.images;
    const view = await fetch(new URL(`view?${new URLSearchParams({ filename: saved.filename, subfolder: saved.subfolder, type: saved.type })}`, h.url));
    expect(view.status).toBe(200);
    const fromApi = path.join(ARTIFACTS, 'editor-sdxl-api.png');
    fs.writeFileSync(fromApi, Buffer.from(await view.arrayBuffer()));
    expect(compareToReference(shown, fromApi, 0).max).toBe(0);
  });
});
