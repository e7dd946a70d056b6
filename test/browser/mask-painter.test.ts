/**
 * The mask painter in chromium (issue 20): upload a picture to a LoadImage node, open the painter from the
 * node, paint a stroke with the mouse, erase across it with a pen, undo a stroke, save; the node then names
 * input/clipspace/clipspace-mask-<n>.png, whose alpha is 0 where painted and 255 elsewhere (the stroke's
 * antialiased edge aside) over the original colours, and running LoadImage -> MaskToImage -> SaveImage gives
 * white exactly there (MASK = 1). Escape cancels without writing anything; reopening shows the saved mask;
 * the painter creates no object URL it keeps, and the page reports no Content-Security-Policy violation. A
 * picture larger than the window is scaled to fit, and a mouse click and a finger paint where they land.
 * Every wait is for a condition, never a fixed time.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { SavedWorkflow } from '../../protocol/index.ts';
import { encodePng } from '../../nodes/image/png.ts';
import { ARTIFACTS, importWorkflow, openEditor, startHarness, type Harness } from './harness.ts';

/** The picture painted on (not a square, not a power of two: any size must work). */
const WIDTH = 60;
const HEIGHT = 44;
/** The stroke painted (picture pixels), its brush diameter, and the pen stroke erasing across it. */
const STROKE = { from: { x: 8, y: 22 }, to: { x: 50, y: 22 }, size: 10 };
const ERASE = { from: { x: 29, y: 4 }, to: { x: 29, y: 40 }, size: 6 };
/** Pixels this close to a stroke's edge may be partly painted (antialiasing, pointer rounding). */
const EDGE = 1.5;
/** How long a condition may take to hold (uploads, decodes and runs are slow on a loaded machine). */
const WAIT = { timeout: 30_000 };

let h: Harness;
let page: Page;

const WORKFLOW: SavedWorkflow = {
  version: 1,
  name: 'mask-painter',
  nodes: [
    { id: '1', type: 'LoadImage', position: { x: 0, y: 0 }, widgets: { image: 'shapes-example.png' } },
    { id: '2', type: 'MaskToImage', position: { x: 380, y: 0 }, widgets: {} },
    { id: '3', type: 'SaveImage', position: { x: 700, y: 0 }, widgets: { filename_prefix: 'mask-check' } },
  ],
  edges: [
    { from: { node: '1', output: 1 }, to: { node: '2', input: 'mask' } },
    { from: { node: '2', output: 0 }, to: { node: '3', input: 'images' } },
  ],
};

function picturePixels(): Uint8Array {
  const data = new Uint8Array(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      data[i] = (x * 4) & 0xff;
      data[i + 1] = (y * 5) & 0xff;
      data[i + 2] = 128;
    }
  }
  return data;
}

beforeAll(async () => {
  h = await startHarness();
  page = h.page;
  await h.context.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[]; __liveObjectUrls: Set<string> };
    w.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`));
    // Object URLs made and not revoked yet.
    w.__liveObjectUrls = new Set();
    const create = URL.createObjectURL.bind(URL);
    const revoke = URL.revokeObjectURL.bind(URL);
    URL.createObjectURL = (object: Blob | MediaSource) => {
      const url = create(object);
      w.__liveObjectUrls.add(url);
      return url;
    };
    URL.revokeObjectURL = (url: string) => {
      w.__liveObjectUrls.delete(url);
      revoke(url);
    };
  });
  await openEditor(h);
});

afterAll(async () => {
  await h?.close();
});

const nodeEl = (id: string) => page.locator(`[data-node-id="${id}"]`);
const painter = () => page.getByRole('dialog', { name: /^Paint a mask on / });
const maskCanvas = () => painter().getByTestId('mask-canvas');
const liveObjectUrls = () => page.evaluate(() => (window as unknown as { __liveObjectUrls: Set<string> }).__liveObjectUrls.size);
const clipspace = () => path.join(h.dataDir, 'input', 'clipspace');
const clipspaceFiles = () => (fs.existsSync(clipspace()) ? fs.readdirSync(clipspace()).sort() : []);

/** Opens the painter from the node and waits until the picture is on its canvas. */
async function openPainter(): Promise<void> {
  await nodeEl('1').getByRole('button', { name: 'Paint a mask on the picture of node #1' }).click();
  await painter().waitFor();
  await expect.poll(() => maskCanvas().evaluate((c: HTMLCanvasElement) => `${c.width}x${c.height}`), WAIT).toBe(`${WIDTH}x${HEIGHT}`);
  await expect.poll(() => painter().getByRole('button', { name: 'Save' }).isEnabled(), WAIT).toBe(true);
}

/** Sets the brush size with the keyboard on the slider (Home, then ArrowRight). */
async function setBrushSize(size: number): Promise<void> {
  const slider = painter().getByRole('slider', { name: /Brush size/ });
  await slider.focus();
  await slider.press('Home');
  for (let i = 1; i < size; i++) await slider.press('ArrowRight');
  await expect.poll(() => painter().locator('output').textContent(), WAIT).toBe(`${size}px`);
}

/** Where a picture pixel coordinate is on the page (the canvas has the picture's size). */
async function toPage(canvas: Locator, point: { x: number; y: number }): Promise<{ x: number; y: number }> {
  const box = (await canvas.boundingBox())!;
  const size = await canvas.evaluate((c: HTMLCanvasElement) => ({ width: c.width, height: c.height }));
  return { x: box.x + (point.x / size.width) * box.width, y: box.y + (point.y / size.height) * box.height };
}

async function mouseStroke(from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  const a = await toPage(maskCanvas(), from);
  const b = await toPage(maskCanvas(), to);
  await page.mouse.move(a.x, a.y);
  await page.mouse.down();
  await page.mouse.move(b.x, b.y, { steps: 12 });
  await page.mouse.up();
}

/** A pen or finger stroke, as the pointer events a pen or a touch screen sends, dispatched on the canvas. */
async function pointerStroke(pointerType: 'pen' | 'touch', from: { x: number; y: number }, to: { x: number; y: number }): Promise<void> {
  const a = await toPage(maskCanvas(), from);
  const b = await toPage(maskCanvas(), to);
  await maskCanvas().evaluate(
    (canvas: HTMLCanvasElement, { a, b, pointerType }) => {
      const at = (t: number) => ({ clientX: a.x + (b.x - a.x) * t, clientY: a.y + (b.y - a.y) * t });
      const init = { pointerId: 7, pointerType, isPrimary: true, bubbles: true, cancelable: true, pressure: 0.5 };
      canvas.dispatchEvent(new PointerEvent('pointerdown', { ...init, ...at(0), button: 0, buttons: 1 }));
      for (let i = 1; i <= 12; i++) canvas.dispatchEvent(new PointerEvent('pointermove', { ...init, ...at(i / 12), buttons: 1 }));
      canvas.dispatchEvent(new PointerEvent('pointerup', { ...init, ...at(1), button: 0, buttons: 0 }));
    },
    { a, b, pointerType },
  );
}

/** Distance from a pixel's centre to a segment (picture pixels). */
function distance(x: number, y: number, s: { from: { x: number; y: number }; to: { x: number; y: number } }): number {
  const px = x + 0.5;
  const py = y + 0.5;
  const dx = s.to.x - s.from.x;
  const dy = s.to.y - s.from.y;
  const t = Math.max(0, Math.min(1, ((px - s.from.x) * dx + (py - s.from.y) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (s.from.x + t * dx), py - (s.from.y + t * dy));
}

/** What each pixel should be: 'painted', 'clear', or 'edge' (near a stroke's edge: not checked). */
function expected(x: number, y: number): 'painted' | 'clear' | 'edge' {
  const d1 = distance(x, y, STROKE) - STROKE.size / 2;
  const d2 = distance(x, y, ERASE) - ERASE.size / 2;
  if (d1 < -EDGE && d2 > EDGE) return 'painted';
  if (d1 > EDGE || d2 < -EDGE) return 'clear';
  return 'edge';
}

describe('the mask painter', () => {
  let saved = '';

  it('paints, erases, undoes and saves the mask as the picture alpha, and the node uses the new file', async () => {
    await importWorkflow(page, 'mask-painter.json', WORKFLOW);
    await expect.poll(() => page.locator('[data-node-id]').count(), WAIT).toBe(3);

    // Upload the picture through the node's own upload button.
    const file = path.join(ARTIFACTS, 'mask-picture.png');
    fs.writeFileSync(file, encodePng({ width: WIDTH, height: HEIGHT, channels: 3, data: picturePixels() }));
    await nodeEl('1').getByLabel('Upload an image for image of node #1').setInputFiles(file);
    await expect.poll(() => nodeEl('1').getByLabel('image', { exact: true }).inputValue(), WAIT).toBe('mask-picture.png');
    const urlsBefore = await liveObjectUrls();

    await openPainter();
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), WAIT).toBe('Brush');
    await setBrushSize(STROKE.size);
    await mouseStroke(STROKE.from, STROKE.to);

    // The eraser by its key, a pen stroke across the line.
    await page.keyboard.press('e');
    await expect.poll(() => painter().getByRole('button', { name: 'Eraser' }).getAttribute('aria-pressed'), WAIT).toBe('true');
    await setBrushSize(ERASE.size);
    await pointerStroke('pen', ERASE.from, ERASE.to);

    // A third stroke, undone with Ctrl+Z: it leaves nothing.
    await page.keyboard.press('b');
    await mouseStroke({ x: 10, y: 36 }, { x: 50, y: 36 });
    const alphaAt = (x: number, y: number) => maskCanvas().evaluate((c: HTMLCanvasElement, p) => c.getContext('2d')!.getImageData(p.x, p.y, 1, 1).data[3], { x, y });
    await expect.poll(() => alphaAt(30, 36), WAIT).toBe(255);
    await page.keyboard.press('Control+z');
    await expect.poll(() => alphaAt(30, 36), WAIT).toBe(0);
    // [ and ] step the size (the graph's shortcuts do not see them).
    await page.keyboard.press(']');
    await expect.poll(() => painter().locator('output').textContent(), WAIT).not.toBe(`${ERASE.size}px`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'mask-painter-painted.png') });

    await painter().getByRole('button', { name: 'Save' }).click();
    await painter().waitFor({ state: 'detached' });
    await expect.poll(() => nodeEl('1').getByLabel('image', { exact: true }).inputValue(), WAIT).toMatch(/^clipspace\/clipspace-mask-\d+\.png$/);
    saved = await nodeEl('1').getByLabel('image', { exact: true }).inputValue();
    expect(clipspaceFiles()).toEqual([saved.slice('clipspace/'.length)]);
    // Focus went back to the button that opened the painter; no object URL was left behind.
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')), WAIT).toBe('Paint a mask on the picture of node #1');
    expect(await liveObjectUrls()).toBe(urlsBefore);

    // The file: the original's colours, alpha 0 where painted and 255 elsewhere.
    const { data, info } = await sharp(path.join(h.dataDir, 'input', saved)).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([WIDTH, HEIGHT, 4]);
    const rgb = picturePixels();
    const counts = { painted: 0, clear: 0, edge: 0 };
    const wrong: string[] = [];
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const i = y * WIDTH + x;
        expect([...data.subarray(i * 4, i * 4 + 3)]).toEqual([...rgb.subarray(i * 3, i * 3 + 3)]);
        const want = expected(x, y);
        counts[want]++;
        const alpha = data[i * 4 + 3];
        if ((want === 'painted' && alpha !== 0) || (want === 'clear' && alpha !== 255)) wrong.push(`(${x}, ${y}) ${want} alpha ${alpha}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(counts.painted).toBeGreaterThan(200); // the stroke is there, less the erased gap
    expect(counts.clear).toBeGreaterThan(1500);
  });

  it("runs LoadImage -> MaskToImage -> SaveImage on it: MASK is 1 where painted, 0 elsewhere", async () => {
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 700 } });
    await page.keyboard.press('Control+Enter');
    const image = nodeEl('3').locator('img');
    await image.waitFor({ timeout: 60_000 });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), WAIT).toBe(WIDTH);
    const src = new URL((await image.getAttribute('src'))!, h.url);
    const output = path.join(h.dataDir, 'output', src.searchParams.get('subfolder') ?? '', src.searchParams.get('filename')!);
    const { data, info } = await sharp(output).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([WIDTH, HEIGHT]);
    const wrong: string[] = [];
    for (let y = 0; y < HEIGHT; y++) {
      for (let x = 0; x < WIDTH; x++) {
        const value = data[(y * WIDTH + x) * info.channels];
        const want = expected(x, y);
        if ((want === 'painted' && value !== 255) || (want === 'clear' && value !== 0)) wrong.push(`(${x}, ${y}) ${want} value ${value}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('reopens with the saved mask painted; Escape cancels and writes nothing', async () => {
    // Every node selected: a Delete that reached the canvas behind the painter would remove them.
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 700 } });
    await page.keyboard.press('Control+a');
    await expect.poll(() => page.locator('.react-flow__node.selected').count(), WAIT).toBeGreaterThan(0);
    await openPainter();
    const painted = await maskCanvas().evaluate((c: HTMLCanvasElement) => {
      const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
      let count = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] === 255) count++;
      return count;
    });
    expect(painted).toBeGreaterThan(200);
    await mouseStroke({ x: 5, y: 5 }, { x: 20, y: 5 });
    // Keys the editor would act on (Delete removes selected nodes) stay in the painter.
    await page.keyboard.press('Delete');
    await page.keyboard.press('Escape');
    await painter().waitFor({ state: 'detached' });
    expect(await page.locator('[data-node-id]').count()).toBe(3);
    expect(await nodeEl('1').getByLabel('image', { exact: true }).inputValue()).toBe(saved);
    expect(clipspaceFiles()).toEqual([saved.slice('clipspace/'.length)]);
    expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  });

  it('fits a picture larger than the window and maps the mouse and a finger to its pixels', async () => {
    const [width, height] = [1800, 1300];
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) data[i * 3] = (i % width) & 0xff;
    const file = path.join(ARTIFACTS, 'mask-large.png');
    fs.writeFileSync(file, encodePng({ width, height, channels: 3, data }));
    await nodeEl('1').getByLabel('Upload an image for image of node #1').setInputFiles(file);
    await expect.poll(() => nodeEl('1').getByLabel('image', { exact: true }).inputValue(), WAIT).toBe('mask-large.png');
    await nodeEl('1').getByRole('button', { name: 'Paint a mask on the picture of node #1' }).click();
    await expect.poll(() => maskCanvas().evaluate((c: HTMLCanvasElement) => `${c.width}x${c.height}`), WAIT).toBe(`${width}x${height}`);
    const viewport = page.viewportSize()!;
    const box = (await maskCanvas().boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.y).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);
    expect(box.y + box.height).toBeLessThanOrEqual(viewport.height);
    expect(box.width / box.height).toBeCloseTo(width / height, 2);
    // One click paints a dot at the brush size (in picture pixels) where it lands.
    const at = { x: box.x + box.width * 0.25, y: box.y + box.height * 0.75 };
    await page.mouse.click(at.x, at.y);
    // A finger draws too: a short horizontal stroke along the top.
    await pointerStroke('touch', { x: 300, y: 200 }, { x: 1500, y: 200 });
    await painter().getByRole('button', { name: 'Save' }).click();
    await painter().waitFor({ state: 'detached' });
    await expect.poll(() => nodeEl('1').getByLabel('image', { exact: true }).inputValue(), WAIT).toMatch(/^clipspace\/clipspace-mask-\d+\.png$/);
    const name = await nodeEl('1').getByLabel('image', { exact: true }).inputValue();
    const alpha = await sharp(path.join(h.dataDir, 'input', name)).extractChannel(3).raw().toBuffer();
    const alphaAt = (x: number, y: number) => alpha[Math.round(y) * width + Math.round(x)];
    expect(alphaAt(width * 0.25, height * 0.75)).toBe(0);
    expect(alphaAt(width * 0.75, height * 0.25)).toBe(255);
    for (const x of [310, 900, 1490]) expect(alphaAt(x, 200)).toBe(0);
    expect(alphaAt(900, 200 + 100)).toBe(255);
    // The dot, apart from the touch stroke (rows below 400).
    const painted = alpha.subarray(400 * width).reduce((n, a) => n + (a === 0 ? 1 : 0), 0);
    const radius = Math.round(Math.max(width, height) / 12) / 2; // the initial brush: a twelfth of the longer side
    expect(painted / (Math.PI * radius * radius)).toBeGreaterThan(0.9);
    expect(painted / (Math.PI * radius * radius)).toBeLessThan(1.1);
  });
});
