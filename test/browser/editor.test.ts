/**
 * The editor in a real browser (Debian's chromium, headless) against the real server with the tiny
 * fixture model: build txt2img from an empty canvas by dragging and connecting, run it and watch
 * progress and the image arrive, get refused an invalid link, see validation and execution errors on
 * their nodes, save / reload / open, and drop the saved PNG to get its workflow back.
 * Screenshots of the key states go to test/artifacts/ (gitignored).
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SavedWorkflow } from '../../protocol/index.ts';
import { ARTIFACTS, importWorkflow, manyCopies, openEditor, startHarness, TXT2IMG, type Harness } from './harness.ts';

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

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `editor-${name}.png`) });
const nodeEl = (id: string) => page.locator(`[data-node-id="${id}"]`);
const inputHandle = (id: string, input: string) => nodeEl(id).locator(`[data-input="${input}"] .react-flow__handle`);
const outputHandle = (id: string, index: number) => nodeEl(id).locator(`.react-flow__handle-right[data-handleid="${index}"]`);
const edgeCount = () => page.locator('.react-flow__edge').count();

async function center(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('element is not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Drags a palette entry onto the canvas (HTML5 drag and drop) with the node's corner at (x, y) in the page. */
async function dragFromPalette(type: string, x: number, y: number): Promise<void> {
  const canvas = page.locator('.react-flow__pane');
  const box = (await canvas.boundingBox())!;
  await page.locator(`.lf-palette button[data-node-type="${type}"]`).dragTo(canvas, { targetPosition: { x: x - box.x, y: y - box.y } });
}

/** Drags a link from one handle to another with the mouse, as a user does. */
async function connect(from: Locator, to: Locator): Promise<void> {
  const a = await center(from);
  const b = await center(to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
  await page.mouse.move(b.x, b.y, { steps: 5 });
  await page.mouse.up();
}

async function setNumber(id: string, input: string, value: number): Promise<void> {
  const field = nodeEl(id).locator(`[data-input="${input}"] input.lf-number-input`);
  await field.fill(String(value));
  await field.press('Enter');
}

/** Records, inside the page, every status / step text / preview seen while a run goes by. */
async function recordRun(): Promise<void> {
  await page.evaluate(() => {
    const seen = { statuses: [] as string[], steps: [] as string[], preview: false, bar: [] as number[] };
    (window as unknown as { __seen: typeof seen }).__seen = seen;
    const look = () => {
      const ks = document.querySelector('.lf-node[data-node-type="KSampler"]');
      const status = ks?.getAttribute('data-status');
      if (status && seen.statuses.at(-1) !== status) seen.statuses.push(status);
      const step = ks?.querySelector('.lf-node-progress-text')?.textContent;
      if (step && seen.steps.at(-1) !== step) seen.steps.push(step);
      if (ks?.querySelector('img.lf-preview')) seen.preview = true;
      const bar = document.querySelector('.lf-progress-track')?.getAttribute('aria-valuenow');
      if (bar !== undefined && bar !== null && seen.bar.at(-1) !== Number(bar)) seen.bar.push(Number(bar));
    };
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}

describe('editor in chromium against the real server', () => {
  it('builds txt2img from an empty canvas, refuses a bad link, runs it and shows progress and the image', async () => {
    await page.getByRole('button', { name: 'New', exact: true }).click();
    await page.getByRole('button', { name: 'Queue', exact: true }).click(); // close the side panel: room for the graph
    expect(await page.locator('[data-node-id]').count()).toBe(0);

    // Ids follow the order of adding: 1 loader, 2 positive, 3 negative, 4 latent, 5 sampler, 6 decode, 7 save.
    // The diffusers folder of the tiny model (single-file loading: CheckpointLoaderSimple, same sockets).
    await dragFromPalette('DiffusersLoader', 250, 120);
    await dragFromPalette('CLIPTextEncode', 560, 70);
    await dragFromPalette('CLIPTextEncode', 560, 330);
    await dragFromPalette('EmptyLatentImage', 560, 590);
    await dragFromPalette('KSampler', 880, 70);
    await dragFromPalette('VAEDecode', 1200, 70);
    // The last one by double-clicking the canvas and searching, as ComfyUI users do.
    await page.mouse.dblclick(1220, 300);
    await page.getByRole('searchbox', { name: 'Search node types' }).fill('save image');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);
    expect(await nodeEl('7').getAttribute('data-node-type')).toBe('SaveImage');

    await connect(outputHandle('1', 0), inputHandle('5', 'model'));
    await connect(outputHandle('1', 1), inputHandle('2', 'clip'));
    await connect(outputHandle('1', 1), inputHandle('3', 'clip'));
    await connect(outputHandle('2', 0), inputHandle('5', 'positive'));
    await connect(outputHandle('3', 0), inputHandle('5', 'negative'));
    await connect(outputHandle('4', 0), inputHandle('5', 'latent_image'));
    await connect(outputHandle('5', 0), inputHandle('6', 'samples'));
    await connect(outputHandle('1', 2), inputHandle('6', 'vae'));
    await connect(outputHandle('6', 0), inputHandle('7', 'images'));
    await expect.poll(edgeCount).toBe(9);

    // An invalid link (LATENT into MODEL) is refused while dragging, and the editor says why.
    const before = await edgeCount();
    await connect(outputHandle('4', 0), inputHandle('6', 'vae'));
    await expect.poll(() => page.getByRole('alert').filter({ hasText: 'Cannot connect LATENT to VAE' }).count()).toBeGreaterThan(0);
    expect(await edgeCount()).toBe(before);
    await shot('refused-link');

    await nodeEl('1').getByLabel('model_path').selectOption('tiny-sd');
    await nodeEl('2').getByLabel('text').fill('a small cat');
    await setNumber('4', 'width', 64);
    await setNumber('4', 'height', 64);
    await setNumber('5', 'seed', 42);
    await setNumber('5', 'steps', 3);
    expect(await nodeEl('5').locator('[data-input="seed"] input').inputValue()).toBe('42');
    await shot('built');

    await recordRun();
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 700 } });
    await page.keyboard.press('Control+Enter');
    const image = nodeEl('7').locator('img');
    await image.waitFor({ timeout: 30_000 });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    await expect.poll(() => page.locator('.lf-progress').getAttribute('data-phase')).toBe('success');
    const seen = await page.evaluate(() => (window as unknown as { __seen: { statuses: string[]; steps: string[]; preview: boolean; bar: number[] } }).__seen);
    expect(seen.statuses).toContain('running');
    expect(seen.steps.some((s) => /^step \d+\/3$/.test(s))).toBe(true);
    expect(seen.bar.at(-1)).toBe(100);
    expect(seen.bar.some((v) => v > 0 && v < 100)).toBe(true);
    expect(seen.preview).toBe(true);
    // Wall time and peak memory per node.
    await expect.poll(() => nodeEl('5').locator('.lf-node-stats').textContent()).toMatch(/\d+(\.\d+)? (ms|s).*peak/);
    await shot('ran');

    // Two more runs back to back: the first with a randomized seed (the widget shows the seed it used),
    // the second unchanged, waiting in the queue, then served from the cache except SaveImage.
    await page.getByRole('button', { name: 'Queue', exact: true }).click();
    // Enough steps that the first run is still going when the second is queued (the engine is fast).
    await setNumber('5', 'steps', 150);
    const seedField = nodeEl('5').locator('[data-input="seed"] input');
    await nodeEl('5').getByLabel('seed before each run').selectOption('randomize');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => seedField.inputValue()).not.toBe('42');
    await nodeEl('5').getByLabel('seed before each run').selectOption('fixed');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.lf-queue .lf-job[data-status="queued"]').count()).toBe(1);
    await shot('queue');
    await expect.poll(() => nodeEl('5').getAttribute('data-status'), { timeout: 30_000 }).toBe('cached');
    await expect.poll(() => page.locator('.lf-progress').getAttribute('data-phase'), { timeout: 10_000 }).toBe('success');
    expect(await nodeEl('1').getAttribute('data-status')).toBe('cached');
    expect(await nodeEl('7').getAttribute('data-status')).toBe('done');
    await expect.poll(() => page.locator('.lf-queue .lf-job[data-status="success"]').count()).toBe(3);

    // Click to enlarge; the lightbox offers a download.
    await image.click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByRole('link', { name: 'Download' }).getAttribute('download')).toMatch(/\.png$/);
    await shot('lightbox');
    await page.keyboard.press('Escape');
  });

  it('shows validation issues and execution errors on the offending node, losing nothing', async () => {
    // Validation: a required input left unconnected -> 400 with the issue on KSampler's "model" input.
    // Detach the link by dragging its end (just outside the input) onto empty canvas.
    const edges = await edgeCount();
    const end = await center(inputHandle('5', 'model'));
    await page.mouse.move(end.x - 7, end.y);
    await page.mouse.down();
    await page.mouse.move(end.x - 120, end.y + 200, { steps: 6 });
    await page.mouse.up();
    await expect.poll(edgeCount).toBe(edges - 1);
    expect(await page.locator('.react-flow__edge[data-id="5:model"]').count()).toBe(0);
    await page.keyboard.press('Control+Enter');
    const issue = nodeEl('5').locator('[data-input="model"] .lf-row-issue-text');
    await expect.poll(() => issue.textContent()).toMatch(/model/);
    expect(await nodeEl('5').getAttribute('class')).toContain('lf-has-issue');
    await shot('validation-issue');
    await page.keyboard.press('Control+z'); // the link comes back
    await expect.poll(edgeCount).toBe(edges);

    // Execution: a model folder whose weights are missing fails while loading, on its node.
    await nodeEl('1').getByLabel('model_path').selectOption('broken');
    await page.keyboard.press('Control+Enter');
    const nodeIssue = nodeEl('1').locator('.lf-node-issue');
    await nodeIssue.waitFor({ timeout: 20_000 });
    expect(await nodeEl('1').getAttribute('data-status')).toBe('error');
    expect(await nodeIssue.textContent()).toMatch(/broken/);
    expect(await page.locator('[data-node-id]').count()).toBe(7);
    expect(await edgeCount()).toBe(edges);
    await shot('execution-error');
    await nodeEl('1').getByLabel('model_path').selectOption('tiny-sd');
  });

  it('saves, survives a reload, and opens the workflow again', async () => {
    const seed = await nodeEl('5').locator('[data-input="seed"] input').inputValue();
    await page.keyboard.press('Control+s');
    await page.getByRole('dialog', { name: 'Save workflow as' }).getByRole('textbox').fill('browser txt2img');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('workflow-name').textContent()).toBe('browser txt2img');

    await page.reload();
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);
    expect(await page.getByTestId('workflow-name').textContent()).toBe('browser txt2img');
    expect(await nodeEl('2').getByLabel('text').inputValue()).toBe('a small cat');

    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(0);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('button', { name: 'Open browser txt2img' }).click();
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);
    await expect.poll(edgeCount).toBe(9);
    expect(await nodeEl('5').locator('[data-input="seed"] input').inputValue()).toBe(seed);
    await shot('reopened');
  });

  it('drops a PNG saved by SaveImage and gets its workflow back', async () => {
    const outputs = fs.readdirSync(path.join(h.dataDir, 'output'), { recursive: true }).map(String).filter((f) => f.endsWith('.png'));
    expect(outputs.length).toBeGreaterThan(0);
    const png = fs.readFileSync(path.join(h.dataDir, 'output', outputs[0]));

    await page.getByRole('button', { name: 'New', exact: true }).click();
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(0);
    const target = await center(page.locator('.react-flow__pane'));
    await page.evaluate(
      ({ bytes, x, y }) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'latentflow_00001_.png', { type: 'image/png' }));
        const pane = document.querySelector('.react-flow__pane')!;
        pane.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true, clientX: x, clientY: y }));
        pane.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true, clientX: x, clientY: y }));
      },
      { bytes: [...png], ...target },
    );
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);
    await expect.poll(edgeCount).toBe(9);
    expect(await page.locator('[data-node-type="CLIPTextEncode"] textarea').first().inputValue()).toBe('a small cat');
    expect(await page.locator('[data-node-type="KSampler"] [data-input="steps"] input').inputValue()).toBe('3');
    await shot('dropped-png');
  });

  it('saves a selection as a node type: it appears in the palette, replaces the selection, runs and exports', async () => {
    await importWorkflow(page, 'subgraph-base.json', TXT2IMG);
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);
    await nodeEl('5').locator('.lf-node-header').click();
    await nodeEl('6').locator('.lf-node-header').click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Save as node' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save selection as a node type' });
    await dialog.getByLabel('Name (shown in the palette)').fill('Sample and decode');
    await dialog.getByLabel('Type id (letters, digits, _)').fill('SampleDecode');
    await dialog.getByLabel('KSampler #5 · seed').check();
    await shot('save-as-node');
    await dialog.getByRole('button', { name: 'Save node type' }).click();

    await page.locator('.lf-palette button[data-node-type="user/SampleDecode"]').waitFor();
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(6);
    const node = page.locator('.lf-node[data-node-type="user/SampleDecode"]');
    expect(await node.locator('[data-input="seed"] input').inputValue()).toBe('42');
    await expect.poll(edgeCount).toBe(8); // 5 links in, 1 out, 2 untouched
    await shot('collapsed');

    // The server accepts the rewired graph: it starts running (then we interrupt, to keep the suite short).
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.lf-progress').getAttribute('data-phase')).toMatch(/running|success/);
    expect(await page.locator('.lf-issues').count()).toBe(0);
    await page.keyboard.press('Control+Alt+Enter'); // interrupt (does nothing when the cache already finished it)
    await expect.poll(() => page.locator('.lf-progress').getAttribute('data-phase'), { timeout: 20_000 }).toMatch(/interrupted|success/);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export node type user/SampleDecode' }).click();
    const exported = JSON.parse(fs.readFileSync((await (await download).path())!, 'utf8')) as { type: string; inputs: Array<{ name: string }> };
    expect(exported.type).toBe('SampleDecode');
    expect(exported.inputs.map((i) => i.name)).toEqual(['model', 'positive', 'negative', 'latent_image', 'vae', 'seed']);
  });

  it('loads, edits and drags a 200-node graph (how long each takes: npm run bench:editor)', async () => {
    const big = manyCopies(TXT2IMG, 29);
    expect(big.nodes.length).toBe(203);
    await importWorkflow(page, 'big.json', big);
    await expect.poll(() => page.locator('.react-flow__minimap-node').count()).toBe(203);
    await expect.poll(() => page.locator('.react-flow__node').count()).toBeGreaterThan(7);

    // An edit reaches the node's widget.
    const prompt = page.locator('.lf-node[data-node-type="CLIPTextEncode"] textarea').first();
    await prompt.fill('a small cat, edited');
    await expect.poll(() => prompt.inputValue()).toBe('a small cat, edited');

    // Dragging a node by its header moves it.
    const header = page.locator('.lf-node-header').first();
    const from = await center(header);
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= 40; i++) await page.mouse.move(from.x + i * 3, from.y + i * 2);
    await page.mouse.up();
    const to = await center(header);
    expect(Math.round(to.x - from.x)).toBeGreaterThan(60);
    expect(Math.round(to.y - from.y)).toBeGreaterThan(40);
    await shot('200-nodes');
  });
});

