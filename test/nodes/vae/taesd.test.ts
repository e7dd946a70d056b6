// nodes/vae/taesd.ts through VAEDecode and VAEEncode: a TAESD VAE gives ComfyUI's TAESD.decode / encode
// (pictures mapped between TAESD's [0, 1] and the VAE's [-1, 1]), and is refused with its estimate over the budget.
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadTaesd, taesdDecode, taesdEncode, type TaesdHandle } from '../../../native/index.ts';
import vaeDecodeNode from '../../../nodes/core/vae-decode.ts';
import vaeEncodeNode from '../../../nodes/core/vae-encode.ts';
import type { NodeContext } from '../../../nodes/schema.ts';

function ctx(memoryBudgetBytes?: number): NodeContext {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return { nodeId: '8', nodeType: 'VAEDecode', signal: new AbortController().signal, progress() {}, preview() {}, stats() {}, log, services: { memoryBudgetBytes } };
}

let taesd: TaesdHandle;
beforeAll(async () => {
  taesd = await loadTaesd({ encoder: path.resolve('models/vae_approx/taesd_encoder.safetensors'), decoder: path.resolve('models/vae_approx/taesd_decoder.safetensors') });
});
afterAll(() => taesd.dispose());

const samples = new Float32Array(4 * 64).map((_, i) => Math.sin(i * 0.37));

describe('TAESD in the VAE nodes', () => {
  it("VAEDecode gives TAESD's picture, clamped to [0, 1] as an IMAGE", async () => {
    const out = await vaeDecodeNode.run({ samples: { samples, shape: [1, 4, 8, 8] }, vae: { taesd, source: 'taesd' } }, ctx());
    expect(out.IMAGE.shape).toEqual([1, 64, 64, 3]);
    const direct = await taesdDecode(taesd, samples, [1, 4, 8, 8]);
    for (const i of [0, 1000, 4095]) for (let c = 0; c < 3; c++) {
      expect(out.IMAGE.data[i * 3 + c]).toBeCloseTo(Math.min(Math.max(direct[c * 4096 + i], 0), 1), 5);
    }
  });

  it('VAEEncode gives TAESD latents (model space, no scaling)', async () => {
    const data = new Float32Array(64 * 64 * 3).map((_, i) => 0.5 + 0.4 * Math.sin(i * 0.01));
    const out = await vaeEncodeNode.run({ pixels: { data, shape: [1, 64, 64, 3] }, vae: { taesd, source: 'taesd' } }, ctx());
    const nchw = new Float32Array(3 * 4096);
    for (let i = 0; i < 4096; i++) for (let c = 0; c < 3; c++) nchw[c * 4096 + i] = data[i * 3 + c];
    const direct = await taesdEncode(taesd, nchw, [1, 3, 64, 64]);
    expect(out.LATENT.shape).toEqual([1, 4, 8, 8]);
    for (let i = 0; i < direct.length; i++) expect(out.LATENT.samples[i]).toBeCloseTo(direct[i], 4);
  });

  it('refuses a decode over the memory budget, with the estimate and what to do', async () => {
    await expect(vaeDecodeNode.run({ samples: { samples, shape: [1, 4, 8, 8] }, vae: { taesd, source: 'taesd' } }, ctx(1024))).rejects.toThrow(
      /^TAESD needs ~.* to decode a 8x8 latent, batch 1, over the memory budget of .*: decode a smaller batch/,
    );
  });
});
