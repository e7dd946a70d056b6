/**
 * The fault and bad-input matrix: the rows that no other suite covers (docs/RELIABILITY.md lists every
 * row with the test that covers it). One real server in this process, with the tiny model, a packs
 * folder holding broken packs, and a data folder of its own. Every case asserts a clean, located
 * answer and that the server keeps serving afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodePng } from '../../nodes/image/png.ts';
import { json, startTestServer, type TestServer, tinyTxt2img, waitForRun } from '../helpers/server.ts';

let t: TestServer;
let packsDir: string;
let outside: string;

/** A pack folder: package.json with a latentflow manifest and an ES module. */
function writePack(dir: string, name: string, code: string) {
  fs.mkdirSync(path.join(dir, name), { recursive: true });
  fs.writeFileSync(path.join(dir, name, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', latentflow: { name, version: '1.0.0', nodes: './index.mjs' } }));
  fs.writeFileSync(path.join(dir, name, 'index.mjs'), code);
}
const failingNode = (type: string, body: string) => `export const ${type} = {
  type: '${type}', version: 1, category: 'test', description: 'Fails on purpose.',
  inputs: { images: { kind: 'socket', type: 'IMAGE' } }, outputs: {}, outputNode: true,
  ${body}
};\n`;

beforeAll(async () => {
  packsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-matrix-packs-'));
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-matrix-outside-'));
  writePack(packsDir, 'throws-at-load', `throw new Error('cannot find the GPU');\n`);
  writePack(packsDir, 'fails', [
    failingNode('ThrowSync', `run() { throw new Error('boom in run'); },`),
    failingNode('RejectNonError', `async run() { throw 42; },`),
    failingNode('RejectEmpty', `run() { return Promise.reject(new Error('')); },`),
  ].join(''));
  t = await startTestServer({ bodyLimitBytes: 1024 * 1024, packDirs: [packsDir] });
  // A checkpoint cut short and one whose header length is absurd, beside the good one.
  const good = fs.readFileSync(path.join(t.modelsDir, 'checkpoints', 'tiny-sd.safetensors'));
  fs.writeFileSync(path.join(t.modelsDir, 'checkpoints', 'truncated.safetensors'), good.subarray(0, good.length - 4096));
  const bomb = Buffer.alloc(64);
  bomb.writeBigUInt64LE(1n << 62n);
  fs.writeFileSync(path.join(t.modelsDir, 'checkpoints', 'header-bomb.safetensors'), bomb);
  // A link inside the output folder that points outside it.
  fs.symlinkSync(outside, path.join(t.server.context.host.paths.output, 'out-link'));
});
afterAll(async () => {
  await t.close();
  fs.rmSync(packsDir, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});

async function post(route: string, body: unknown, raw?: string) {
  return fetch(`${t.base}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw ?? JSON.stringify(body) });
}
async function stillServing() {
  expect((await fetch(`${t.base}/api/system`)).status).toBe(200);
}
async function runToEnd(workflow: unknown) {
  const response = await post('/api/runs', { workflow });
  expect(response.status).toBe(202);
  return waitForRun(t.base, (await json(response)).id, 180_000);
}
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

describe('graph size', () => {
  it('a 10,000-node workflow (the most accepted) whose 9,998 middle nodes form a cycle: 400 naming the loop (capped), no stack overflow', async () => {
    // Loader, (VAEDecode -> VAEEncode) x 4999 in a loop (the first decode fed from the last encode), SaveImage.
    const wf: Record<string, { class_type: string; inputs: Record<string, unknown> }> = {
      L: { class_type: 'DiffusersLoader', inputs: { model_path: 'tiny-sd', weight_dtype: 'f32' } },
    };
    const n = 9_998;
    for (let i = 0; i < n; i++) {
      wf[String(i)] = i % 2 === 0 ? { class_type: 'VAEDecode', inputs: { samples: [String(i === 0 ? n - 1 : i - 1), 0], vae: ['L', 2] } } : { class_type: 'VAEEncode', inputs: { pixels: [String(i - 1), 0], vae: ['L', 2] } };
    }
    wf.S = { class_type: 'SaveImage', inputs: { filename_prefix: 'never', images: ['0', 0] } };
    const started = performance.now();
    const response = await post('/api/runs', { workflow: wf });
    const ms = performance.now() - started;
    const body = await json(response);
    expect(response.status).toBe(400);
    expect(body.error.code).toBe('invalid_workflow');
    const cycle = body.error.issues.find((i: { code: string }) => i.code === 'cycle');
    // The answer stays small whatever the loop's length: the first 100 nodes, and the count.
    expect(cycle.details.nodes).toHaveLength(100);
    expect(cycle.details.nodesTotal).toBe(n);
    console.log(`10,000-node workflow with a ${n}-node cycle: 400 in ${ms.toFixed(0)} ms`);
    await stillServing();
  });
});

describe('sizes refused before allocation', () => {
  it('huge width, height and batch: 400 each, and the server RSS does not move', async () => {
    const huge = [
      ['5', 'width', 1_000_000],
      ['5', 'height', 2 ** 31],
      ['5', 'batch_size', 100_000],
      ['5', 'width', 8200], // just over the 8192 maximum
    ] as const;
    // Warm up the route (first-request allocations are not what we measure).
    for (const [id, input, value] of huge) await post('/api/runs', { workflow: { ...tinyTxt2img(), [id]: { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1, [input]: value } } } });
    const before = rssMiB();
    for (let round = 0; round < 25; round++) {
      for (const [id, input, value] of huge) {
        const wf = tinyTxt2img();
        (wf as Record<string, { inputs: Record<string, unknown> }>)[id].inputs[input] = value;
        const response = await post('/api/runs', { workflow: wf });
        expect(response.status).toBe(400);
        expect((await json(response)).error.issues[0]).toMatchObject({ code: 'value_out_of_range', nodeId: id, input });
      }
    }
    const grew = rssMiB() - before;
    console.log(`100 huge-size requests: RSS ${before.toFixed(0)} -> ${(before + grew).toFixed(0)} MiB (${grew >= 0 ? '+' : ''}${grew.toFixed(1)})`);
    // The smallest of these latents would be 4 x 1,000,000^2/64 floats; an allocation of any of them
    // cannot hide in 64 MiB, which leaves room for the allocator's and V8's own noise.
    expect(grew).toBeLessThan(64);
    await stillServing();
  });

  it('sizes the schema allows but the memory budget cannot hold: 400 at validation, and the server RSS does not move', async () => {
    // 8192x8192, batch 64 is inside every widget's range: a 1 GiB latent. Under a 200 MiB budget the
    // validator refuses it on EmptyLatentImage before any node runs (no model loads, nothing is allocated).
    const host = t.server.context.host;
    const saved = host.memoryBudgetBytes;
    host.memoryBudgetBytes = 200 * 2 ** 20;
    try {
      const cases = [
        { width: 8192, height: 8192, batch_size: 64, input: 'batch_size' }, // 1 GiB (16 MiB per picture)
        { width: 8192, height: 8192, batch_size: 32, input: 'batch_size' }, // 512 MiB
        { width: 8192, height: 6144, batch_size: 24, input: 'batch_size' }, // 288 MiB
      ];
      const send = (c: (typeof cases)[number]) => {
        const wf = tinyTxt2img();
        (wf as Record<string, unknown>)['5'] = { class_type: 'EmptyLatentImage', inputs: { width: c.width, height: c.height, batch_size: c.batch_size } };
        return post('/api/runs', { workflow: wf });
      };
      for (const c of cases) await send(c); // warm-up
      const before = rssMiB();
      const started = performance.now();
      for (let round = 0; round < 50; round++) {
        for (const c of cases) {
          const response = await send(c);
          expect(response.status).toBe(400);
          expect((await json(response)).error.issues[0]).toMatchObject({ code: 'value_out_of_range', nodeId: '5', input: c.input, details: { reason: 'over_memory_budget' } });
        }
      }
      const ms = performance.now() - started;
      const grew = rssMiB() - before;
      console.log(`${50 * cases.length} in-schema latents over a 200 MiB budget: 400 each (${(ms / (50 * cases.length)).toFixed(1)} ms per request), RSS ${before.toFixed(0)} -> ${(before + grew).toFixed(0)} MiB (${grew >= 0 ? '+' : ''}${grew.toFixed(1)})`);
      // One allocated latent would be 288 MiB or more: it cannot hide in 64 MiB of allocator and V8 noise.
      expect(grew).toBeLessThan(64);
    } finally {
      host.memoryBudgetBytes = saved;
    }
    await stillServing();
  });
});

describe('JSON bodies', () => {
  it('JSON nested 100,000 deep (200 KB) is a 400, not a stack overflow', async () => {
    const raw = `{"workflow": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const response = await post('/api/runs', undefined, raw);
    expect(response.status).toBe(400);
    expect(['too_deep', 'bad_json']).toContain((await json(response)).error.code);
    await stillServing();
  });

  /** POSTs a workflow of `n` nodes of an unknown type; the answer, its body and the time it took. */
  async function unknownNodes(n: number) {
    const wf: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) wf[i] = { class_type: 'X', inputs: {} };
    const started = performance.now();
    const response = await post('/api/runs', { workflow: wf });
    const text = await response.text();
    return { status: response.status, error: JSON.parse(text).error, bytes: text.length, ms: performance.now() - started };
  }

  it('10,000 unknown nodes (the most accepted): 400 listing the first 100 issues and counting the rest, quickly', async () => {
    const { status, error, bytes, ms } = await unknownNodes(10_000);
    expect(status).toBe(400);
    expect(error.issues.filter((i: { code: string }) => i.code === 'node_type_unknown')).toHaveLength(100);
    expect(error.issuesOmitted).toBe(9_900);
    console.log(`10,000 unknown nodes: 400 in ${ms.toFixed(0)} ms, ${bytes} bytes`);
    await stillServing();
  });

  it('25,000 nodes (0.9 MB, under the body limit): 400 too_many_nodes before anything is parsed', async () => {
    const { status, error, ms } = await unknownNodes(25_000);
    expect(status).toBe(400);
    expect(error.issues).toEqual([expect.objectContaining({ code: 'workflow_invalid', details: { reason: 'too_many_nodes', nodes: 25_000, max: 10_000 } })]);
    console.log(`25,000 nodes: 400 too_many_nodes in ${ms.toFixed(0)} ms`);
    await stillServing();
  });
});

describe('paths', () => {
  it('SaveImage through a symlink in the output folder that points outside: refused, nothing written outside', async () => {
    const job = await runToEnd(tinyTxt2img({ prefix: 'out-link/escaped' }));
    expect(job.status).toBe('error');
    expect(job.error.issues[0]).toMatchObject({ nodeId: '9', nodeType: 'SaveImage' });
    expect(job.error.issues[0].message).toMatch(/outside the output folder/);
    expect(fs.readdirSync(outside)).toEqual([]);
  });

  it('SaveImage prefix with ".." or NUL: refused at validation (400 on the node); an absolute one lands inside the output folder', async () => {
    for (const prefix of ['../escaped', 'a/../../escaped', 'a\u0000b']) {
      const response = await post('/api/runs', { workflow: tinyTxt2img({ prefix, steps: 1 }) });
      expect(response.status, prefix).toBe(400);
      expect((await json(response)).error.issues[0]).toMatchObject({ nodeId: '9', input: 'filename_prefix' });
    }
    const job = await runToEnd(tinyTxt2img({ prefix: '/tmp/lf-absolute', steps: 1 }));
    expect(job.status).toBe('success');
    expect(fs.readdirSync(path.join(t.server.context.host.paths.output, 'tmp')).some((f) => f.startsWith('lf-absolute'))).toBe(true);
    await stillServing();
  });

  // Every path parameter of the API not covered by bad-input.test.ts (/view, workflow names, model names).
  it.each([
    ['GET', '/api/workflows/shipped/..%2f..%2fpackage.json'],
    ['GET', '/api/workflows/shipped/%2fetc%2fpasswd'],
    ['GET', '/api/workflows/..%2fsecret'],
    ['GET', '/api/workflows/a%00b'],
    ['PUT', '/api/workflows/..%2f..%2fescape'],
    ['DELETE', '/api/workflows/..%2f..%2fescape'],
    ['POST', '/api/workflows/..%2f..%2fescape/run'],
    ['GET', '/api/packs/subgraphs/..%2f..%2fpackage.json'],
    ['GET', '/api/packs/subgraphs/%2fetc%2fpasswd'],
  ])('%s %s: a 4xx, never a file from outside', async (method, route) => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (method !== 'GET' && method !== 'DELETE') init.body = JSON.stringify({ workflow: { version: 1, name: 'x', nodes: [], edges: [] }, revision: 1 });
    const response = await fetch(`${t.base}${route}`, init);
    const text = await response.text();
    expect(response.status, text).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect(text).not.toContain('"name": "latentflow"');
    expect(text).not.toContain('root:');
    expect(JSON.parse(text).error.code).toMatch(/bad_path|not_found|bad_request/);
  });

  it('rename to a traversal, and LoadImage / checkpoint names with traversal: refused', async () => {
    const victim = await json(await post('/api/workflows', { name: 'victim', workflow: { version: 1, name: 'victim', nodes: [], edges: [] } }));
    const rename = await post('/api/workflows/victim/rename', { newName: '../../escaped', revision: victim.revision });
    expect(rename.status).toBe(400);
    expect((await json(rename)).error.code).toBe('bad_path');
    for (const [id, node] of [
      ['4', { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: '../../../etc/passwd', weight_dtype: 'f16' } }],
      ['4', { class_type: 'DiffusersLoader', inputs: { model_path: '/etc', weight_dtype: 'f32' } }],
      ['9', { class_type: 'LoadImage', inputs: { image: '../secret.png' } }],
    ] as const) {
      const response = await post('/api/runs', { workflow: { ...tinyTxt2img(), [id]: node } });
      expect(response.status).toBe(400);
      const body = await json(response);
      expect(body.error.issues.some((i: { nodeId: string; details?: { reason?: string } }) => i.nodeId === id && i.details?.reason === 'not_in_options')).toBe(true);
    }
  });

  it('upload with traversal in the file name or subfolder stays inside the input folder or is refused', async () => {
    const png = encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12) });
    const input = t.server.context.host.paths.input;
    for (const [filename, subfolder, expected] of [
      ['../../escape.png', '', 200],
      ['..\\..\\escape.png', '', 200],
      ['ok.png', '../..', 400],
      ['ok.png', '/etc', 400],
      ['ok.png', '../out-link', 400],
    ] as const) {
      const form = new FormData();
      form.append('image', new Blob([png]), filename);
      if (subfolder) form.append('subfolder', subfolder);
      const response = await fetch(`${t.base}/upload/image`, { method: 'POST', body: form });
      expect(response.status, `${filename} in ${subfolder}`).toBe(expected);
      if (expected === 200) {
        const body = await json(response);
        expect(fs.existsSync(path.join(input, body.subfolder, body.name))).toBe(true);
        expect(path.resolve(input, body.subfolder, body.name).startsWith(input + path.sep)).toBe(true);
      }
    }
    expect(fs.existsSync(path.join(path.dirname(input), 'escape.png'))).toBe(false);
  });
});

describe('uploads that are not images', () => {
  const upload = async (bytes: Uint8Array, name = 'x.png') => {
    const form = new FormData();
    form.append('image', new Blob([Buffer.from(bytes)]), name);
    return fetch(`${t.base}/upload/image`, { method: 'POST', body: form });
  };
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), body])));
    return Buffer.concat([head, body, crc]);
  };

  it.each([
    ['text named .png', () => Buffer.from('hello, I am not a picture')],
    ['a JPEG signature', () => Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46])],
    ['a PNG cut in half', () => encodePng({ width: 8, height: 8, channels: 3, data: new Uint8Array(192) }).subarray(0, 40)],
    [
      'a PNG whose zTXt is corrupt zlib (fuzz regression: was a 500)',
      () => {
        const png = encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12) });
        const iend = png.length - 12;
        return Buffer.concat([png.subarray(0, iend), chunk('zTXt', Buffer.from('prompt\0\0\x78\x9c\xff\xff', 'latin1')), png.subarray(iend)]);
      },
    ],
  ])('%s -> 400 not_an_image', async (_name, make) => {
    const response = await upload(make());
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('not_an_image');
    await stillServing();
  });

  it('a PNG bomb (IHDR claims 100000 x 100000) -> 413 image_too_large, from the header alone', async () => {
    const png = Buffer.from(encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(12) }));
    png.writeUInt32BE(100000, 16);
    png.writeUInt32BE(100000, 20);
    png.writeUInt32BE(zlib.crc32(png.subarray(12, 29)), 29);
    const response = await upload(png);
    expect(response.status).toBe(413);
    expect((await json(response)).error).toMatchObject({ code: 'image_too_large', details: { width: 100000, height: 100000 } });
    await stillServing();
  });
});

describe('racing saves of one workflow over HTTP', () => {
  it('two PUTs on the same revision: one 200, one 409, and the stored workflow is exactly the winner', async () => {
    const base = { version: 1, name: 'race', nodes: [], edges: [] };
    const created = await json(await post('/api/workflows', { name: 'race', workflow: base }));
    for (let round = 0; round < 5; round++) {
      const current = await json(await fetch(`${t.base}/api/workflows/race`));
      const bodies = ['A', 'B'].map((who) => ({ ...base, extra: { who, round, filler: who.repeat(50_000) } }));
      const responses = await Promise.all(
        bodies.map((workflow) => fetch(`${t.base}/api/workflows/race`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow, revision: current.revision ?? created.revision }) })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 409]);
      const winner = bodies[responses.findIndex((r) => r.status === 200)];
      const stored = await json(await fetch(`${t.base}/api/workflows/race`));
      expect(stored.workflow.extra).toEqual(winner.extra);
    }
  });
});

describe('engine errors inside a node', () => {
  it.each([
    ['truncated.safetensors', /truncated|outside the data section/],
    ['header-bomb.safetensors', /exceeds the 100 MiB limit/],
  ])('checkpoint %s: native_failed naming the file, then a good run still succeeds', async (file, problem) => {
    const job = await runToEnd({ ...tinyTxt2img(), '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: file, weight_dtype: 'f16' } } });
    expect(job.status).toBe('error');
    expect(job.error.issues[0]).toMatchObject({ code: 'native_failed', nodeId: '4', nodeType: 'CheckpointLoaderSimple', details: { status: 'SDN_STATUS_BAD_FORMAT' } });
    expect(job.error.issues[0].message).toContain(file);
    expect(job.error.issues[0].message).toMatch(problem);
  });

  it('after them, the good model runs', async () => {
    const job = await runToEnd(tinyTxt2img({ steps: 1 }));
    expect(job.status).toBe('success');
  });
});

describe('node packs that fail', () => {
  it('a pack that throws at load is reported; the server started and the other packs load', async () => {
    const packs = await json(await fetch(`${t.base}/api/packs`));
    expect(packs.issues.find((i: { details: { pack?: string } }) => i.details.pack === 'throws-at-load')).toMatchObject({ code: 'pack_invalid', details: { reason: 'import_failed' } });
    expect(packs.issues.find((i: { details: { pack?: string } }) => i.details.pack === 'throws-at-load').message).toContain('cannot find the GPU');
    const catalog = await json(await fetch(`${t.base}/api/node-types`));
    expect(Object.keys(catalog)).toEqual(expect.arrayContaining(['fails/ThrowSync', 'KSampler']));
  });

  it.each([
    ['fails/ThrowSync', /boom in run/],
    ['fails/RejectNonError', /42/],
    ['fails/RejectEmpty', /failed without a message/],
  ])('%s: node_failed on that node, the server keeps serving', async (type, message) => {
    const wf = { ...tinyTxt2img({ steps: 1 }), '9': { class_type: type, inputs: { images: ['8', 0] } } };
    const job = await runToEnd(wf);
    expect(job.status).toBe('error');
    expect(job.error.issues[0]).toMatchObject({ code: 'node_failed', nodeId: '9', nodeType: type });
    expect(job.error.issues[0].message).toMatch(message);
    await stillServing();
  });
});
