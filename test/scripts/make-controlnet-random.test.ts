// The random ControlNet writer: its tensors are exactly what the engine's LDM reader expects, at SD 1.5's size
// (a sparse file: the header and the layout, no values) and at the tiny size (random values, runnable).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { controlNetForward, loadControlNet } from '../../native/index.ts';
import { writeRandomControlNet } from '../../scripts/make-controlnet-random.ts';
import { SD15, TINY } from '../../scripts/make-sd15-random.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'lf-cn-random-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('make-controlnet-random', () => {
  it('writes an SD 1.5 ControlNet the engine loads with SD 1.5\'s configuration (12 + 1 residuals)', async () => {
    const file = path.join(dir, 'sd15.safetensors');
    writeRandomControlNet(file, 0, SD15, 'sparse');
    const cn = await loadControlNet(file, { weights: 'f16' });
    const { info } = cn;
    if (info.kind !== 'controlnet') throw new Error(`expected a ControlNet, got a ${info.kind}`);
    expect(info.config.block_out_channels).toEqual([320, 640, 1280, 1280]);
    expect(info.config.cross_attention_dim).toBe(768);
    expect(info.config.conditioning_embedding_out_channels).toEqual([16, 32, 96, 256]);
    expect(cn.info.residuals).toBe(13);
    cn.dispose();
  });

  it('writes a tiny one that runs, with finite residuals that depend on the hint', async () => {
    const file = path.join(dir, 'tiny.safetensors');
    writeRandomControlNet(file, 3, TINY);
    const cn = await loadControlNet(file);
    const x = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i));
    const context = new Float32Array(77 * 32).map((_, i) => Math.cos(i));
    const run = (v: number) => controlNetForward(cn, x, [1, 4, 8, 8], Float32Array.of(500), context, new Float32Array(3 * 64 * 64).fill(v), [1, 3, 64, 64]);
    const [a, b] = [await run(0), await run(1)];
    expect(a.down).toHaveLength(12);
    expect(a.mid.every(Number.isFinite)).toBe(true);
    expect(a.down[0].some((v, i) => v !== b.down[0][i])).toBe(true);
    cn.dispose();
  });
});
