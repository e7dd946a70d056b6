/**
 * Issue 15 case 12: the editor under the server's Content-Security-Policy, in chromium. The page loads
 * with the policy, runs a workflow with step previews (blob: images) and shows the saved image (/view),
 * and the browser reports no violation of the policy (securitypolicyviolation events, console). A page
 * of another origin that frames the editor gets nothing: frame-ancestors 'none' (and X-Frame-Options).
 */
import fs from 'node:fs';
import path from 'node:path';

import type { ConsoleMessage } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ARTIFACTS, startHarness, type Harness, TXT2IMG } from './harness.ts';

let h: Harness;
const consoleLines: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  // Registered before any page script (an init script is not subject to the page's policy).
  await h.context.addInitScript(() => {
    const violations: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = violations;
    document.addEventListener('securitypolicyviolation', (e) => violations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`));
  });
  h.page.on('console', (message: ConsoleMessage) => consoleLines.push(`${message.type()}: ${message.text()}`));
  h.page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
});
afterAll(async () => {
  await h?.close();
});

const violations = () => h.page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
const cspMessages = () => consoleLines.filter((line) => /Content Security Policy|Refused to/i.test(line));


describe('the editor under its Content-Security-Policy', () => {
  it('is served with the policy and frame protection', async () => {
    const response = await h.page.goto(h.url);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(headers['x-frame-options']).toBe('DENY');
    await h.page.getByRole('button', { name: 'Load Checkpoint' }).waitFor();
  });

  it('loads, opens a workflow, runs it with previews and shows the image, with no violation reported', async () => {
    const page = h.page;
    const file = path.join(ARTIFACTS, 'csp-txt2img.json');
    fs.writeFileSync(file, JSON.stringify(TXT2IMG));
    const unsaved = (await page.locator('.lf-dirty').count()) > 0;
    await page.getByTestId('import-file').setInputFiles(file);
    if (unsaved) await page.getByRole('dialog', { name: 'Discard changes?' }).getByRole('button', { name: 'Discard' }).click();
    await expect.poll(() => page.locator('[data-node-id]').count()).toBe(7);

    await page.evaluate(() => {
      const w = window as unknown as { __preview: boolean };
      w.__preview = false;
      new MutationObserver(() => {
        const img = document.querySelector<HTMLImageElement>('.lf-node[data-node-type="KSampler"] img.lf-preview');
        if (img?.src.startsWith('blob:')) w.__preview = true;
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.locator('.react-flow__pane').click({ position: { x: 40, y: 700 } });
    await page.keyboard.press('Control+Enter');
    const image = page.locator('[data-node-id="7"] img');
    await image.waitFor({ timeout: 60_000 });
    await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 30_000 }).toBe(64);
    expect(await page.evaluate(() => (window as unknown as { __preview: boolean }).__preview)).toBe(true);
    // The stylesheet applied (React Flow's and ours come from files under 'self').
    expect(await page.locator('.react-flow__pane').evaluate((el) => getComputedStyle(el).position)).toBe('absolute');
    await page.screenshot({ path: path.join(ARTIFACTS, 'csp-ran.png') });

    expect(await violations()).toEqual([]);
    expect(cspMessages()).toEqual([]);
  });

  it('cannot be framed by a page of another origin', async () => {
    const framing = await h.context.newPage();
    const refusals: string[] = [];
    framing.on('console', (message) => refusals.push(message.text()));
    await framing.setContent(`<iframe id="f" src="${h.url}" width="400" height="300"></iframe>`);
    await expect.poll(() => refusals.some((line) => /frame-ancestors|X-Frame-Options|refused to connect/i.test(line)), { timeout: 10_000 }).toBe(true);
    const frame = framing.frames().find((f) => f !== framing.mainFrame());
    // The editor never ran inside the frame: no palette there.
    expect(await frame?.locator('.lf-palette').count().catch(() => 0)).toBe(0);
    await framing.close();
  });
});
