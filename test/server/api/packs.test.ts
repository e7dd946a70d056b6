// "Save as node": a subgraph node type saved through the API appears in the catalog, runs, exports as a
// file, and imports on another server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { json, startTestServer, type TestServer, tinyTxt2img, waitForRun } from '../../helpers/server.ts';

let a: TestServer;
let b: TestServer;
beforeAll(async () => {
  [a, b] = await Promise.all([startTestServer(), startTestServer()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const inner = tinyTxt2img({ steps: 2 }) as Record<string, unknown>;
delete inner['9']; // the subgraph ends at the decoded IMAGE
const subgraph = {
  type: 'TinyTxt2Img',
  description: 'The tiny model from prompt to picture.',
  category: 'sampling',
  inputs: [
    { name: 'prompt', type: 'STRING', multiline: true, default: 'a small cat', targets: [{ node: '6', input: 'text' }] },
    { name: 'seed', type: 'INT', default: 0, min: 0, targets: [{ node: '3', input: 'seed' }] },
  ],
  outputs: [{ name: 'IMAGE', type: 'IMAGE', from: { node: '8', output: 0 } }],
  workflow: inner,
};

function post(base: string, path: string, body: unknown) {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('node packs over the API', () => {
  it('saves a subgraph as a node type that shows in the catalog and runs', async () => {
    const saved = await post(a.base, '/api/packs/subgraphs', subgraph);
    expect(saved.status).toBe(201);
    expect((await json(saved)).type).toBe('user/TinyTxt2Img');
    expect((await post(a.base, '/api/packs/subgraphs', subgraph)).status).toBe(409); // the type exists now

    const catalog = await json(await fetch(`${a.base}/api/node-types`));
    expect(catalog['user/TinyTxt2Img'].input.required.prompt[0]).toBe('STRING');
    const packs = await json(await fetch(`${a.base}/api/packs`));
    expect(packs.issues).toEqual([]);

    const run = await post(a.base, '/api/runs', {
      workflow: {
        '1': { class_type: 'user/TinyTxt2Img', inputs: { prompt: 'a small dog', seed: 9 } },
        '2': { class_type: 'SaveImage', inputs: { filename_prefix: 'subgraph', images: ['1', 0] } },
      },
    });
    expect(run.status).toBe(202);
    const job = await waitForRun(a.base, (await json(run)).id);
    expect(job.status).toBe('success');
    expect(job.outputs['2'].images[0].filename).toMatch(/^subgraph_00001_\.png$/);
  });

  it('exports the node type as a file another server imports', async () => {
    const exported = await fetch(`${a.base}/api/packs/subgraphs/${encodeURIComponent('user/TinyTxt2Img')}`);
    expect(exported.headers.get('content-disposition')).toMatch(/attachment/);
    const file = await json(exported);
    const imported = await post(b.base, '/api/packs/subgraphs', file);
    expect(imported.status).toBe(201);
    expect(Object.keys(await json(await fetch(`${b.base}/api/node-types`)))).toContain('user/TinyTxt2Img');
  });

  it('refuses an invalid subgraph with the reason', async () => {
    const response = await post(a.base, '/api/packs/subgraphs', { ...subgraph, type: 'Broken', outputs: [{ name: 'IMAGE', type: 'IMAGE', from: { node: '99', output: 0 } }] });
    expect(response.status).toBe(400);
    expect((await json(response)).error.code).toBe('node_definition_invalid');
  });
});
