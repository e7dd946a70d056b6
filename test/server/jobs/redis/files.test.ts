// Files through Redis: input files a workflow names, names unique across workers (counters seeded
// from what a server holds), refs renamed in ui outputs, and names that lead outside refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  fetchInputBlobs, fetchOutputFile, imageRefsOf, inputFilesOf, MissingInputError, publishOutputFile, putInputBlobs, renameImages, seedFileCounters,
} from '../../../../server/jobs/redis/files.ts';
import { openRedis, redisKeys } from '../../../../server/jobs/redis/options.ts';
import { startRedis, type TestRedis } from '../../../helpers/redis.ts';

let server: TestRedis;
let redis: Redis;
const keys = redisKeys('t');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-files-'));

beforeAll(async () => {
  server = await startRedis();
  redis = openRedis(server.url, { name: 'test' });
});

afterAll(async () => {
  await redis.quit();
  await server.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function dir(name: string): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}

describe('input files', () => {
  it('finds the input-folder files a workflow names, and only those', () => {
    const input = dir('input');
    fs.writeFileSync(path.join(input, 'cat.png'), 'png bytes');
    fs.mkdirSync(path.join(input, 'sub'));
    fs.writeFileSync(path.join(input, 'sub', 'dog.png'), 'more');
    fs.writeFileSync(path.join(tmp, 'secret.png'), 'outside');
    const prompt = {
      '1': { class_type: 'LoadImage', inputs: { image: 'cat.png' } },
      '2': { class_type: 'LoadImage', inputs: { image: 'sub/dog.png' } },
      '3': { class_type: 'CLIPTextEncode', inputs: { text: 'a cat', clip: ['4', 1] } },
      '4': { class_type: 'LoadImage', inputs: { image: '../secret.png' } },
      '5': { class_type: 'LoadImage', inputs: { image: 'cat.png' } },
      '6': { class_type: 'LoadImage', inputs: { image: 'sub' } },
    };
    expect(inputFilesOf(prompt, input).map((f) => f.name)).toEqual(['cat.png', 'sub/dog.png']);
  });

  it('round-trips through Redis by content, and names a file that expired', async () => {
    const input = dir('input2');
    fs.writeFileSync(path.join(input, 'a.png'), Buffer.from([1, 2, 3]));
    const refs = await putInputBlobs(redis, keys, [{ name: 'a.png', file: path.join(input, 'a.png') }], 60);
    expect(refs).toEqual([{ name: 'a.png', sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81' }]);
    const workerInput = path.join(tmp, 'worker-input');
    await fetchInputBlobs(redis, keys, refs, workerInput);
    expect([...fs.readFileSync(path.join(workerInput, 'a.png'))]).toEqual([1, 2, 3]);
    await redis.del(keys.blob(refs[0].sha256));
    await expect(fetchInputBlobs(redis, keys, refs, workerInput)).rejects.toThrow(MissingInputError);
    await expect(fetchInputBlobs(redis, keys, refs, workerInput)).rejects.toThrow(/"a\.png"/);
  });
});

describe('output files', () => {
  it('gives two workers writing the same local name distinct published names, after what a server holds', async () => {
    const serverOutput = dir('server-output');
    fs.mkdirSync(path.join(serverOutput, 'pics'));
    fs.writeFileSync(path.join(serverOutput, 'pics', 'shot_00007_.png'), 'old');
    fs.writeFileSync(path.join(serverOutput, 'pics', 'shot_00003_.png'), 'old');
    await seedFileCounters(redis, keys, [{ type: 'output', dir: serverOutput }]);

    const published = [];
    for (const worker of ['w1', 'w2']) {
      const out = dir(`${worker}-output`);
      fs.mkdirSync(path.join(out, 'pics'));
      fs.writeFileSync(path.join(out, 'pics', 'shot_00001_.png'), `from ${worker}`);
      published.push(await publishOutputFile(redis, keys, out, { type: 'output', subfolder: 'pics', filename: 'shot_00001_.png' }, 'run-1234567890', 60));
    }
    expect(published.map((r) => r.filename)).toEqual(['shot_00008_.png', 'shot_00009_.png']);
    expect(String(await fetchOutputFile(redis, keys, published[1]))).toBe('from w2');
    // Seeding again with smaller numbers never moves a counter back.
    await seedFileCounters(redis, keys, [{ type: 'output', dir: serverOutput }]);
    const out = dir('w1-output');
    const next = await publishOutputFile(redis, keys, out, { type: 'output', subfolder: 'pics', filename: 'shot_00001_.png' }, 'run-2', 60);
    expect(next.filename).toBe('shot_00010_.png');
  });

  it('prefixes a name of another pattern with its run, and refuses names that lead outside', async () => {
    const out = dir('w3-output');
    fs.writeFileSync(path.join(out, 'custom.png'), 'x');
    const ref = await publishOutputFile(redis, keys, out, { type: 'temp', subfolder: '', filename: 'custom.png' }, 'abcdef0123', 60);
    expect(ref).toEqual({ type: 'temp', subfolder: '', filename: 'abcdef01-custom.png' });
    await expect(publishOutputFile(redis, keys, out, { type: 'output', subfolder: '..', filename: 'custom.png' }, 'r', 60)).rejects.toThrow(/\.\./);
    await expect(publishOutputFile(redis, keys, out, { type: 'output', subfolder: '', filename: '../x.png' }, 'r', 60)).rejects.toThrow(/not a valid name/);
  });

  it('renames the image refs of a ui output and keeps its other fields', () => {
    const ui = { images: [{ filename: 'a_00001_.png', subfolder: '', type: 'output', extra: 1 }, { bogus: true }], text: ['hi'] };
    expect(imageRefsOf(ui)).toEqual([{ filename: 'a_00001_.png', subfolder: '', type: 'output' }]);
    const renamed = renameImages(ui, (r) => ({ ...r, filename: 'a_00042_.png' }));
    expect(renamed).toEqual({ images: [{ filename: 'a_00042_.png', subfolder: '', type: 'output', extra: 1 }, { bogus: true }], text: ['hi'] });
  });
});
