/**
 * The editor with a big graph, in a real browser (Debian's chromium, the real server): how long
 * importing a 203-node workflow takes until its nodes are drawn, one prompt edit with 7 and with 203
 * nodes on the canvas (median of 30 edits: discrete input events commit synchronously in React 19, so
 * the time around the dispatch is the whole update; an edit that re-rendered every node would cost tens
 * of ms at 203), and a 40-step drag of a node. test/browser/editor.test.ts checks that these work; this
 * measures them.
 *
 *   npm run build:editor && npm run bench:editor
 *   npm run bench:editor -- --rounds 5
 */
import os from 'node:os';

import type { Page } from 'playwright-core';

import { importWorkflow, manyCopies, startHarness, TXT2IMG } from '../test/browser/harness.ts';
import { option } from './args.ts';
import { median } from './stats.ts';

const ROUNDS = Number(option('rounds', '3'));

/** Median ms of 30 prompt edits of the first CLIPTextEncode (run in the page; a string, as this file has no DOM types). */
function editCost(page: Page): Promise<number> {
  return page.evaluate(`(() => {
    const area = document.querySelector('.lf-node[data-node-type="CLIPTextEncode"] textarea');
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
    const times = [];
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      setValue.call(area, 'a small cat ' + i);
      area.dispatchEvent(new Event('input', { bubbles: true }));
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    return times[15];
  })()`);
}

async function until(page: Page, check: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 60_000; !(await check()); ) {
    if (Date.now() > deadline) throw new Error('the editor did not get there within 60 s');
    await page.waitForTimeout(20);
  }
}

const h = await startHarness();
const { page } = h;
const rows = { small: [] as number[], big: [] as number[], load: [] as number[], drag: [] as number[] };
try {
  await page.goto(h.url);
  await page.getByRole('button', { name: 'Load Checkpoint' }).waitFor();
  const big = manyCopies(TXT2IMG, 29);
  for (let round = 0; round < ROUNDS; round++) {
    await importWorkflow(page, 'bench-small.json', TXT2IMG);
    await until(page, async () => (await page.locator('[data-node-id]').count()) === 7);
    rows.small.push(await editCost(page));

    const loadStart = performance.now();
    await importWorkflow(page, 'bench-big.json', big);
    await until(page, async () => (await page.locator('.react-flow__minimap-node').count()) === big.nodes.length);
    rows.load.push(performance.now() - loadStart);
    rows.big.push(await editCost(page));

    const box = (await page.locator('.lf-node-header').first().boundingBox())!;
    const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    const dragStart = performance.now();
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    for (let i = 1; i <= 40; i++) await page.mouse.move(from.x + i * 3, from.y + i * 2);
    await page.mouse.up();
    rows.drag.push(performance.now() - dragStart);
  }
} finally {
  await h.close();
}

console.log(`\nEditor with a big graph: median of ${ROUNDS} rounds (npm run bench:editor -- --rounds ${ROUNDS}); machine: ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
console.log('| what | median ms | max ms |');
console.log('|---|---:|---:|');
console.log(`| import a ${manyCopies(TXT2IMG, 29).nodes.length}-node workflow until every node is in the minimap | ${median(rows.load).toFixed(0)} | ${Math.max(...rows.load).toFixed(0)} |`);
console.log(`| one prompt edit, 7 nodes | ${median(rows.small).toFixed(2)} | ${Math.max(...rows.small).toFixed(2)} |`);
console.log(`| one prompt edit, 203 nodes | ${median(rows.big).toFixed(2)} | ${Math.max(...rows.big).toFixed(2)} |`);
console.log(`| drag a node, 40 mouse moves, 203 nodes | ${median(rows.drag).toFixed(0)} | ${Math.max(...rows.drag).toFixed(0)} |`);
console.log(`edit cost 203 / 7 nodes: ${(median(rows.big) / median(rows.small)).toFixed(1)}x`);
process.exit(0);
