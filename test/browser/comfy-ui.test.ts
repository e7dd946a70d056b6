/**
 * Issue 18 in chromium: the editor opens a ComfyUI UI-format file and draws all of it (a group, a
 * Markdown note whose <script> and javascript: link stay inert, a Note, a Reroute node, a native
 * reroute, a muted and a bypassed node, a custom title and colours); Ctrl+M / Ctrl+B toggle modes;
 * dragging the group moves the nodes inside it; Save writes ComfyUI's UI format with all of it; Run
 * leaves the muted node out and passes the bypassed one through; the PNG it saves brings the drawing
 * back; workflows ComfyUI saved under the user directory open from the Open dialog.
 * Screenshots go to test/artifacts/ (gitignored).
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { isUiForm, parseUiWorkflow, type UiWorkflow } from '../../protocol/index.ts';
import { comfyFeaturesGraph, FEATURES_NOTE } from '../protocol/workflow/ui-examples.ts';
import { ARTIFACTS, importWorkflow, openEditor, startHarness, type Harness } from './harness.ts';

let h: Harness;
let page: Page;

beforeAll(async () => {
  h = await startHarness();
  // The editor runs under a strict Content-Security-Policy: record any violation (notes and colours must cause none).
  await h.context.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`));
  });
  page = h.page;
  await openEditor(h);
  await page.getByRole('button', { name: 'Queue', exact: true }).click(); // close the side panel: room for the graph
});

afterAll(async () => {
  await h?.close();
});

const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, `comfy-ui-${name}.png`) });
const nodeEl = (id: string) => page.locator(`[data-node-id="${id}"]`);
const nodeCount = () => page.locator('[data-node-id]').count();
const style = (locator: Locator, property: string) => locator.evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);
/** The server's origin without the trailing slash h.url has. */
const base = () => h.url.replace(/\/+$/, '');
const pwned = () => page.evaluate(() => (window as unknown as { pwned?: unknown }).pwned);

async function box(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  const b = await locator.boundingBox();
  if (!b) throw new Error('element is not visible');
  return b;
}

/** A fresh canvas (discarding unsaved changes when the editor asks). */
async function newCanvas(): Promise<void> {
  const unsaved = (await page.locator('.lf-dirty').count()) > 0;
  await page.getByRole('button', { name: 'New', exact: true }).click();
  if (unsaved) await page.getByRole('dialog', { name: 'Discard changes?' }).getByRole('button', { name: 'Discard' }).click();
  await expect.poll(nodeCount).toBe(0);
}

/** What the editor must show of comfyFeaturesGraph wherever it came from (file, server, PNG). */
async function expectDrawing(): Promise<void> {
  await expect.poll(nodeCount).toBe(12);
  await expect.poll(() => page.locator('[data-group-id] .lf-group-title').textContent()).toBe('Loaders');
  expect(await nodeEl('11').locator('.lf-markdown h3').textContent()).toBe('How to use');
  expect(await nodeEl('12').locator('textarea').inputValue()).toBe('A plain note');
  expect(await nodeEl('10').getAttribute('data-node-type')).toBe('Reroute');
  expect(await page.locator('.lf-native-reroute').count()).toBe(1);
  expect(await nodeEl('9').getAttribute('data-mode')).toBe('muted');
  expect(await nodeEl('7').getAttribute('data-mode')).toBe('bypassed');
  expect(await nodeEl('2').locator('.lf-node-title').textContent()).toBe('Positive prompt');
}

describe('ComfyUI UI-format workflows in the editor', () => {
  it('opens a UI-format file and draws its group, notes, reroutes, modes, title and colours; the note stays inert', async () => {
    await importWorkflow(page, 'comfy-features.json', comfyFeaturesGraph());
    await expectDrawing();
    await page.keyboard.press('f'); // the file's viewport leaves part of the graph outside the canvas

    const group = page.locator('[data-group-id]');
    expect(await style(group, 'border-top-color')).toBe('rgb(136, 170, 136)'); // "#8A8"
    expect(await style(nodeEl('2').locator('.lf-node-header'), 'background-color')).toBe('rgb(34, 51, 34)'); // color "#232"
    expect(await style(nodeEl('2'), 'background-color')).toBe('rgb(51, 85, 51)'); // bgcolor "#353"
    expect(Number(await style(nodeEl('9'), 'opacity'))).toBeLessThan(0.5);
    expect(await style(nodeEl('7'), 'background-color')).not.toBe(await style(nodeEl('5'), 'background-color'));
    expect(await nodeEl('5').getAttribute('data-mode')).toBe('always');
    expect(await page.locator('.react-flow__edge[data-id="6:vae"]').count()).toBe(1); // Reroute 10 -> VAEDecode

    // Markdown rendered as elements: one safe link, the HTML as text, nothing run.
    const note = nodeEl('11');
    expect(await note.locator('strong').textContent()).toBe('Ctrl+Enter');
    const link = note.locator('a');
    expect(await link.count()).toBe(1);
    expect(await link.getAttribute('href')).toBe('https://example.org/docs');
    expect(await link.getAttribute('rel')).toContain('noopener');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await note.locator('script, img, iframe').count()).toBe(0);
    expect(await note.textContent()).toContain('<script>window.pwned = 1</script>');
    const unsafe = note.locator('.lf-unsafe-link');
    expect(await unsafe.textContent()).toBe('do not click');
    expect(await unsafe.getAttribute('href')).toBeNull();
    await unsafe.click();
    expect(await pwned()).toBeUndefined();
    // Double-click edits the Markdown source.
    await note.locator('.lf-note-body').dblclick();
    await expect.poll(() => note.locator('textarea').inputValue()).toBe(FEATURES_NOTE);
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await expect.poll(() => note.locator('.lf-markdown').count()).toBe(1);
    expect(await pwned()).toBeUndefined();
    expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
    await shot('opened');
  });

  it('toggles mute and bypass with Ctrl+M and Ctrl+B; dragging the group title moves the nodes inside it; reroute dots drag', async () => {
    await nodeEl('4').locator('.lf-node-header').click();
    await page.keyboard.press('Control+m');
    await expect.poll(() => nodeEl('4').getAttribute('data-mode')).toBe('muted');
    await page.keyboard.press('Control+m');
    await expect.poll(() => nodeEl('4').getAttribute('data-mode')).toBe('always');
    await page.keyboard.press('Control+b');
    await expect.poll(() => nodeEl('4').getAttribute('data-mode')).toBe('bypassed');
    await page.keyboard.press('Control+b');
    await expect.poll(() => nodeEl('4').getAttribute('data-mode')).toBe('always');

    const title = page.locator('.lf-group-title');
    const [groupBefore, insideBefore, outsideBefore] = [await box(title), await box(nodeEl('1')), await box(nodeEl('2'))];
    await page.mouse.move(groupBefore.x + 30, groupBefore.y + groupBefore.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 20; i++) await page.mouse.move(groupBefore.x + 30 + i * 6, groupBefore.y + groupBefore.height / 2 + i * 4);
    await page.mouse.up();
    await expect.poll(async () => (await box(title)).x - groupBefore.x).toBeGreaterThan(60);
    const groupMoved = { x: (await box(title)).x - groupBefore.x, y: (await box(title)).y - groupBefore.y };
    const insideAfter = await box(nodeEl('1'));
    expect(insideAfter.x - insideBefore.x).toBeCloseTo(groupMoved.x, 0);
    expect(insideAfter.y - insideBefore.y).toBeCloseTo(groupMoved.y, 0);
    expect(await box(nodeEl('2'))).toEqual(outsideBefore);
    await shot('group-dragged');
    // Undo puts the group and its nodes back in one step.
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press('Control+z');
    await expect.poll(async () => Math.round((await box(nodeEl('1'))).x - insideBefore.x)).toBe(0);
    expect(Math.round((await box(title)).x - groupBefore.x)).toBe(0);

    // A native reroute dot drags, and its link follows.
    const dot = page.locator('.lf-native-reroute');
    const dotBefore = await box(dot);
    const path = () => page.locator('.react-flow__edge[data-id="6:samples"] path.react-flow__edge-path').getAttribute('d');
    const pathBefore = await path();
    await page.mouse.move(dotBefore.x + dotBefore.width / 2, dotBefore.y + dotBefore.height / 2);
    await page.mouse.down();
    for (let i = 1; i <= 10; i++) await page.mouse.move(dotBefore.x + dotBefore.width / 2 + i * 6, dotBefore.y + dotBefore.height / 2 + i * 8);
    await page.mouse.up();
    await expect.poll(async () => Math.round((await box(dot)).y - dotBefore.y)).toBeGreaterThan(40);
    expect(await path()).not.toBe(pathBefore);
  });

  it("saves ComfyUI's UI format with all of it, and opens it again", async () => {
    await page.keyboard.press('Control+s');
    await page.getByRole('dialog', { name: 'Save workflow as' }).getByRole('textbox').fill('comfy features');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('workflow-name').textContent()).toBe('comfy features');

    const record = (await (await fetch(`${base()}/api/workflows/comfy%20features`)).json()) as { workflow: UiWorkflow };
    const ui = record.workflow;
    expect(isUiForm(ui), JSON.stringify(record).slice(0, 400)).toBe(true);
    expect(parseUiWorkflow(ui).issues).toEqual([]);
    expect(ui.version).toBe(0.4);
    expect(ui.groups).toMatchObject([{ title: 'Loaders', color: '#8A8' }]);
    const node = (id: number) => ui.nodes.find((n) => n.id === id)!;
    expect(node(9).mode).toBe(2);
    expect(node(7).mode).toBe(4);
    expect(node(2)).toMatchObject({ title: 'Positive prompt', color: '#232', bgcolor: '#353' });
    expect(node(11)).toMatchObject({ type: 'MarkdownNote', widgets_values: [FEATURES_NOTE] });
    expect(node(12)).toMatchObject({ type: 'Note', widgets_values: ['A plain note'] });
    expect(node(10)).toMatchObject({ type: 'Reroute', outputs: [{ type: 'VAE' }] });
    const reroutes = (ui.extra as { reroutes: Array<{ pos: [number, number]; linkIds: number[] }> }).reroutes;
    expect(reroutes).toMatchObject([{ id: 1, linkIds: [expect.any(Number)] }]);
    expect(reroutes[0].pos[1]).toBeGreaterThan(80 + 40); // dragged down from (1300, 80)
    // What ComfyUI's reader relies on: integer ids, and each link tuple agreeing with both of its ends.
    for (const link of ui.links as Array<[number, number, number, number, number, string]>) {
      const [id, from, fromSlot, to, toSlot] = link;
      expect(node(to).inputs![toSlot].link).toBe(id);
      expect(node(from).outputs![fromSlot].links).toContain(id);
    }

    await newCanvas();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('button', { name: 'Open comfy features' }).click();
    await expectDrawing();
    await shot('reopened');
  });

  it('runs it as ComfyUI would (notes and the muted node left out, the bypassed one passed through); its PNG brings the drawing back', async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press('Control+Enter');
    const image = nodeEl('8').locator('img');
    await image.waitFor({ timeout: 30_000 });
    // ImageScaleBy (scale 0.5) is bypassed: the picture keeps its 64 px.
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(64);
    await expect.poll(() => page.locator('.lf-progress').getAttribute('data-phase')).toBe('success');
    expect(await nodeEl('9').getAttribute('data-status')).toBe('idle');
    const outputs = fs.readdirSync(path.join(h.dataDir, 'output'), { recursive: true }).map(String);
    expect(outputs.filter((f) => path.basename(f).startsWith('muted'))).toEqual([]);
    const png = outputs.find((f) => path.basename(f).startsWith('editor-comfy') && f.endsWith('.png'));
    expect(png).toBeDefined();

    const history = (await (await fetch(`${base()}/api/runs/history?limit=1`)).json()) as { jobs: Array<{ id: string }> };
    expect(history.jobs, JSON.stringify(history).slice(0, 400)).toHaveLength(1);
    const job = (await (await fetch(`${base()}/api/runs/${history.jobs[0].id}`)).json()) as { prompt: Record<string, { inputs: Record<string, unknown> }> };
    expect(Object.keys(job.prompt).sort((a, b) => Number(a) - Number(b))).toEqual(['1', '2', '3', '4', '5', '6', '8']);
    expect(job.prompt['8'].inputs.images).toEqual(['6', 0]);
    expect(job.prompt['6'].inputs.vae).toEqual(['1', 2]);
    await shot('ran');

    await newCanvas();
    const bytes = fs.readFileSync(path.join(h.dataDir, 'output', png!));
    const target = await box(page.locator('.react-flow__pane'));
    await page.evaluate(
      ({ data, x, y }) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(data)], 'editor-comfy.png', { type: 'image/png' }));
        const pane = document.querySelector('.react-flow__pane')!;
        pane.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true, clientX: x, clientY: y }));
        pane.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true, clientX: x, clientY: y }));
      },
      { data: [...bytes], x: target.x + target.width / 2, y: target.y + target.height / 2 },
    );
    await expectDrawing();
    await shot('dropped-png');
  });

  it('lists and opens workflows ComfyUI saved under the user directory', async () => {
    const dir = path.join(h.dataDir, 'user', 'default', 'workflows');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'from comfy.json'), JSON.stringify(comfyFeaturesGraph()));
    await newCanvas();
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('button', { name: 'Open ComfyUI workflow from comfy.json' }).click();
    await expectDrawing();
    expect(await page.getByTestId('workflow-name').textContent()).toBe('untitled');
  });
});
