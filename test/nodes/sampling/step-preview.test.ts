// Step previews by method: none, latent2rgb ('auto' = ComfyUI's meaning), taesd (the shipped demo
// TAESD's decoder at full size, equal to decoding the first latent directly), and taesd without the
// file (latent2rgb, with one warning).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { loadTaesd, taesdDecode } from '../../../native/index.ts';
import { decodePng } from '../../../nodes/image/png.ts';
import type { NodeContext, PreviewImage } from '../../../nodes/schema.ts';
import { latentToRgbPreview } from '../../../nodes/sampling/preview.ts';
import { stepPreviewer, taesdToRgb, type PreviewMethod } from '../../../nodes/sampling/step-preview.ts';

const empty = mkdtempSync(path.join(tmpdir(), 'step-preview-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

function ctx(previewMethod: PreviewMethod | undefined, models = path.resolve('models')) {
  const previews: PreviewImage[] = [];
  const warnings: string[] = [];
  const log = { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} };
  const c: NodeContext = {
    nodeId: '3', nodeType: 'KSampler', signal: new AbortController().signal, progress() {}, preview: (p) => previews.push(p), stats() {}, log,
    services: { previewMethod, paths: { models, input: models, output: models, temp: models } },
  };
  return { c, previews, warnings };
}

const shape = [2, 4, 8, 8] as const;
const x0 = new Float32Array(2 * 4 * 64).map((_, i) => Math.sin(i * 0.3) * 2);

describe('step previews', () => {
  it("'none' sends nothing", async () => {
    const { c, previews } = ctx('none');
    const p = stepPreviewer(c, shape);
    p.step(x0);
    await p.done();
    expect(previews).toEqual([]);
  });

  it.each(['auto', 'latent2rgb', undefined] as const)("'%s' sends latent2rgb at latent size, every step", async (method) => {
    const { c, previews } = ctx(method);
    const p = stepPreviewer(c, shape);
    p.step(x0);
    p.step(x0);
    await p.done();
    expect(previews.length).toBe(2);
    expect([previews[0].width, previews[0].height]).toEqual([8, 8]);
    expect(decodePng(previews[0].data).data).toEqual(latentToRgbPreview(x0, 8, 8).rgb);
  });

  it("'taesd' decodes the first latent with vae_approx/taesd_decoder at full size, skipping steps while one is decoding", async () => {
    const { c, previews, warnings } = ctx('taesd');
    const p = stepPreviewer(c, shape);
    p.step(x0);
    p.step(x0.map((v) => -v)); // arrives while the first is decoding: skipped
    await p.done();
    expect(warnings).toEqual([]);
    expect(previews.length).toBe(1);
    expect([previews[0].width, previews[0].height]).toEqual([64, 64]);
    const taesd = await loadTaesd({ decoder: 'models/vae_approx/taesd_decoder.safetensors' });
    const direct = await taesdDecode(taesd, x0.slice(0, 256), [1, 4, 8, 8]);
    taesd.dispose();
    expect(decodePng(previews[0].data).data).toEqual(taesdToRgb(direct, 64, 64));
  });

  it("'taesd' without a decoder file falls back to latent2rgb with one warning", async () => {
    const { c, previews, warnings } = ctx('taesd', empty);
    const p = stepPreviewer(c, shape);
    p.step(x0);
    p.step(x0);
    await p.done();
    expect(warnings.length).toBe(1);
    expect(warnings[0]).toMatch(/no vae_approx\/taesd_decoder\.safetensors/);
    expect(previews.map((x) => x.width)).toEqual([8, 8]);
  });
});
