// q8_0 weights spilled to an unlinked file on disk (native/src/io/weight_spill.h): where the file goes
// (LATENTFLOW_SPILL_DIR, else the checkpoint's folder, ...; never a memory-backed tmpfs; "off" keeps owned
// memory), that nothing is left on disk, and that its pages come and go with the UNet's calls as a
// checkpoint's own do (one network's weights resident at a time, test/native/models/resident-weights.test.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { afterAll, describe, expect, it } from 'vitest';

import { encodeText, loadModel, unetForward, vaeDecode } from '../../../native/index.ts';
import { isSpill, residentBytes } from '../../helpers/resident.ts';

const spillDir = mkdtempSync(path.join(tmpdir(), 'lf-spill-'));
afterAll(() => rmSync(spillDir, { recursive: true, force: true }));

interface Report { ownedMore: number; mappedMore: number; storage: string[]; quantizedBytes: number; spills: string[]; mappedAfter: number; valueSum: number }

async function child(spill: string | undefined): Promise<Report> {
  const script = fileURLToPath(new URL('./weight-spill-child.ts', import.meta.url));
  const env: NodeJS.ProcessEnv = { ...process.env, LATENTFLOW_THREADS: '2' };
  if (spill === undefined) delete env.LATENTFLOW_SPILL_DIR;
  else env.LATENTFLOW_SPILL_DIR = spill;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], { env });
  return JSON.parse(stdout.trim().split('\n').pop()!) as Report;
}

/** Mount points of memory-backed file systems (tmpfs, ramfs). */
const memoryMounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')).filter((f) => f[2] === 'tmpfs' || f[2] === 'ramfs').map((f) => f[1]);

describe('where q8_0 weights go', () => {
  it('LATENTFLOW_SPILL_DIR: an unlinked file there (nothing listed), mapped, nothing owned beyond the f16 load', async () => {
    const r = await child(spillDir);
    expect(r.storage).toEqual(['mapped']);
    expect(r.spills.length).toBe(1);
    expect(r.spills[0].startsWith(`${spillDir}/`)).toBe(true);
    expect(readdirSync(spillDir)).toEqual([]);
    expect(r.ownedMore).toBe(0);
    expect(r.mappedMore).toBe(r.quantizedBytes);
  });

  it('by default, the checkpoint\'s own folder (when writable)', async () => {
    const r = await child(undefined);
    expect(r.storage).toEqual(['mapped']);
    expect(r.spills.map((s) => path.dirname(s))).toEqual([path.resolve('test/fixtures/tiny-sd')]);
    expect(readdirSync('test/fixtures/tiny-sd').filter((n) => n.startsWith('.latentflow-spill'))).toEqual([]);
  });

  it('never a memory-backed file system: a tmpfs given is passed over for the next candidate', async () => {
    const shm = memoryMounts.find((m) => m === '/dev/shm') ?? memoryMounts[0];
    expect(shm, 'a tmpfs mount to offer (/proc/mounts)').toBeDefined();
    const r = await child(shm);
    expect(r.storage).toEqual(['mapped']);
    expect(r.spills.every((s) => !s.startsWith(`${shm}/`))).toBe(true);
    expect(r.spills.map((s) => path.dirname(s))).toEqual([path.resolve('test/fixtures/tiny-sd')]);
  });

  it('LATENTFLOW_SPILL_DIR=off: owned memory, no file, the same values', async () => {
    const r = await child('off');
    expect(r.storage).toEqual(['owned']);
    expect(r.valueSum).toBe((await child(spillDir)).valueSum); // the same blocks as the spilled ones
    expect(r.spills).toEqual([]);
    expect(r.ownedMore).toBe(r.quantizedBytes);
    expect(r.mappedMore).toBe(0);
  });
});

describe('spilled pages come and go with the UNet\'s calls', () => {
  it('none of the checkpoint\'s UNet pages after load; the spill\'s while the UNet runs; neither while the VAE runs', async () => {
    const file = path.resolve('models/checkpoints/shapes-sd.safetensors');
    const page = 4096, slack = 64 * page; // pages shared at tensor boundaries, the header
    const checkpoint = () => residentBytes((p) => p === file);
    const spill = () => residentBytes(isSpill);
    const model = await loadModel(file, { weights: 'q8_0' });
    try {
      const { clip, unet, vae } = model.info.weightBytes;
      // Loading read each UNet matrix through the mapping to quantize it, and released those pages at once.
      const afterLoad = checkpoint();
      expect(afterLoad).toBeLessThanOrEqual(slack);
      expect(spill()).toBeLessThanOrEqual(slack); // written, never read through the mapping yet
      const ids = new Int32Array(77).fill(49407);
      ids[0] = 49406;
      const context = await encodeText(model, ids);
      const latent = new Float32Array(4 * 8 * 8).fill(0.1);
      await unetForward(model, latent, [1, 4, 8, 8], new Float32Array([500]), context);
      const duringUnet = spill();
      expect(duringUnet).toBeGreaterThan(0.8 * unet);
      expect(checkpoint()).toBeLessThanOrEqual(clip + slack); // the UNet reads the spill, not the checkpoint
      await vaeDecode(model, latent, [1, 4, 8, 8]);
      expect(spill()).toBeLessThanOrEqual(slack);
      expect(checkpoint()).toBeLessThanOrEqual(vae + slack);
      console.log(`demo model, q8_0 UNet ${(unet / 2 ** 20).toFixed(2)} MiB: resident checkpoint pages after load ${(afterLoad / 2 ** 20).toFixed(2)} MiB; ` +
        `spill pages while the UNet runs ${(duringUnet / 2 ** 20).toFixed(2)} MiB, after the VAE call ${(spill() / 2 ** 20).toFixed(2)} MiB`);
    } finally {
      model.dispose();
    }
  });
});
