// Bad input: every case gets a clear 4xx with a machine-readable code, and the server keeps serving.
import fs from 'node:fs';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { json, startTestServer, type TestServer, tinyTxt2img } from '../../helpers/server.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ bodyLimitBytes: 1024 * 1024 });
  fs.writeFileSync(path.join(t.dataDir, 'secret.txt'), 'do not serve me');
  fs.symlinkSync(path.join(t.dataDir, 'secret.txt'), path.join(t.server.context.host.paths.output, 'link.png'));
});
afterAll(async () => {
  await t.close();
});

interface Case {
  name: string;
  method?: string;
  path: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code?: string;
}

const wf = tinyTxt2img();
const withInput = (node: string, input: string, value: unknown) => {
  const copy = structuredClone(wf) as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
  copy[node].inputs[input] = value;
  return copy;
};
const deep = (levels: number) => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};

const cases: Case[] = [
  // JSON bodies
  { name: 'malformed JSON', method: 'POST', path: '/api/runs', raw: '{"workflow": ', status: 400, code: 'bad_json' },
  { name: 'body over the size limit', method: 'POST', path: '/api/runs', raw: JSON.stringify({ workflow: 'x'.repeat(2 * 1024 * 1024) }), status: 413, code: 'too_large' },
  { name: 'JSON nested 1000 deep', method: 'POST', path: '/api/runs', body: { workflow: deep(1000) }, status: 400, code: 'too_deep' },
  { name: 'missing workflow', method: 'POST', path: '/api/runs', body: {}, status: 400, code: 'bad_request' },
  { name: 'workflow is a string', method: 'POST', path: '/api/runs', body: { workflow: 'hello' }, status: 400, code: 'invalid_workflow' },
  { name: 'workflow is an array', method: 'POST', path: '/api/runs', body: { workflow: [1, 2] }, status: 400, code: 'invalid_workflow' },
  { name: 'clientId not a string', method: 'POST', path: '/api/runs', body: { workflow: wf, clientId: 5 }, status: 400, code: 'bad_request' },
  // workflow content
  { name: 'unknown node type', method: 'POST', path: '/api/runs', body: { workflow: { ...wf, '99': { class_type: 'NoSuchNode', inputs: {} } } }, status: 400, code: 'invalid_workflow' },
  { name: 'link to a missing node', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'model', ['77', 0]) }, status: 400, code: 'invalid_workflow' },
  { name: 'link to a missing output index', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'model', ['4', 9]) }, status: 400, code: 'invalid_workflow' },
  { name: 'type mismatch MODEL <- CLIP', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'model', ['4', 1]) }, status: 400, code: 'invalid_workflow' },
  { name: 'cycle', method: 'POST', path: '/api/runs', body: { workflow: withInput('6', 'clip', ['8', 0]) }, status: 400, code: 'invalid_workflow' },
  { name: 'self loop', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'latent_image', ['3', 0]) }, status: 400, code: 'invalid_workflow' },
  { name: 'steps NaN as string', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'steps', 'NaN') }, status: 400, code: 'invalid_workflow' },
  { name: 'steps as a string number', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'steps', '20') }, status: 400, code: 'invalid_workflow' },
  { name: 'cfg is 1e309 (Infinity)', method: 'POST', path: '/api/runs', raw: JSON.stringify({ workflow: withInput('3', 'cfg', 7) }).replace('"cfg":7', '"cfg":1e309'), status: 400, code: 'invalid_workflow' },
  { name: 'steps fractional', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'steps', 2.5) }, status: 400, code: 'invalid_workflow' },
  { name: 'huge width', method: 'POST', path: '/api/runs', body: { workflow: withInput('5', 'width', 1_000_000) }, status: 400, code: 'invalid_workflow' },
  { name: 'huge batch', method: 'POST', path: '/api/runs', body: { workflow: withInput('5', 'batch_size', 100_000) }, status: 400, code: 'invalid_workflow' },
  { name: 'negative seed', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'seed', -1) }, status: 400, code: 'invalid_workflow' },
  { name: 'unknown sampler', method: 'POST', path: '/api/runs', body: { workflow: withInput('3', 'sampler_name', 'rk4') }, status: 400, code: 'invalid_workflow' },
  { name: 'missing model file', method: 'POST', path: '/api/runs', body: { workflow: withInput('4', 'model_path', 'not-there') }, status: 400, code: 'invalid_workflow' },
  { name: 'model name with traversal', method: 'POST', path: '/api/runs', body: { workflow: withInput('4', 'model_path', '../../etc') }, status: 400, code: 'invalid_workflow' },
  { name: 'override of a missing node', method: 'POST', path: '/api/runs', body: { workflow: wf, overrides: { '42.text': 'x' } }, status: 400, code: 'invalid_workflow' },
  // paths
  { name: 'view with ..', path: '/view?filename=../secret.txt&type=output', status: 400, code: 'bad_path' },
  { name: 'view with encoded traversal', path: '/view?filename=..%252fsecret.txt&type=output', status: 400, code: 'bad_path' },
  { name: 'view with absolute subfolder', path: '/view?filename=a.png&subfolder=/etc&type=output', status: 400, code: 'bad_path' },
  { name: 'view with subfolder ..', path: '/view?filename=secret.txt&subfolder=..&type=output', status: 400, code: 'bad_path' },
  { name: 'view with a NUL byte', path: '/view?filename=a%00.png&type=output', status: 400, code: 'bad_path' },
  { name: 'view through a symlink out', path: '/view?filename=link.png&type=output', status: 400, code: 'bad_path' },
  { name: 'view with unknown type', path: '/view?filename=a.png&type=root', status: 400, code: 'bad_request' },
  { name: 'view of a missing file', path: '/view?filename=nothing.png&type=output', status: 404, code: 'not_found' },
  { name: 'workflow name with ..', path: '/api/workflows/..%2f..%2fetc', status: 400, code: 'bad_path' },
  { name: 'workflow name hidden file', method: 'POST', path: '/api/workflows', body: { name: '.bashrc', workflow: { version: 1, name: 'x', nodes: [], edges: [] } }, status: 400, code: 'bad_path' },
  { name: 'save a workflow that is not one', method: 'POST', path: '/api/workflows', body: { name: 'bad', workflow: { nodes: 'no' } }, status: 400, code: 'invalid_workflow' },
  { name: 'update with a missing revision', method: 'PUT', path: '/api/workflows/none', body: { workflow: {} }, status: 400, code: 'bad_request' },
  { name: 'unknown run id', path: '/api/runs/does-not-exist', status: 404, code: 'not_found' },
  { name: 'unknown route', path: '/api/nothing-here', status: 404, code: 'not_found' },
  // uploads
  { name: 'upload that is not multipart', method: 'POST', path: '/upload/image', body: { image: 'x' }, status: 400, code: 'bad_request' },
  // cross-site
  { name: 'cross-site POST with a foreign Origin', method: 'POST', path: '/api/runs', body: { workflow: wf }, headers: { origin: 'https://evil.example' }, status: 403, code: 'cross_site' },
  { name: 'cross-site read of outputs (Sec-Fetch-Site)', path: '/api/outputs', headers: { 'sec-fetch-site': 'cross-site' }, status: 403, code: 'cross_site' },
  { name: 'null Origin (sandboxed page)', method: 'POST', path: '/prompt', body: { prompt: wf }, headers: { origin: 'null' }, status: 403, code: 'cross_site' },
];

describe('bad input', () => {
  it(`has at least 30 cases (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name -> $status', async (c) => {
    const init: RequestInit = { method: c.method ?? 'GET', headers: { ...(c.headers ?? {}) } };
    if (c.raw !== undefined || c.body !== undefined) {
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
      init.body = c.raw ?? JSON.stringify(c.body);
    }
    const response = await fetch(`${t.base}${c.path}`, init);
    expect(response.status).toBe(c.status);
    const text = await response.text();
    if (c.code) expect(JSON.parse(text).error.code).toBe(c.code);
    // The server keeps serving after each case.
    expect((await fetch(`${t.base}/api/system`)).status).toBe(200);
  });

  it('a megabyte prompt is refused cleanly by the node, the server keeps serving', async () => {
    const response = await fetch(`${t.base}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ workflow: withInput('6', 'text', 'cat '.repeat(200_000)) }),
    });
    expect(response.status).toBe(202);
    const { id } = (await response.json()) as { id: string };
    let job: any;
    for (;;) {
      job = await json(await fetch(`${t.base}/api/runs/${id}`));
      if (job.finishedAt) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(job.status).toBe('error');
    expect(job.error.issues[0]).toMatchObject({ nodeId: '6', nodeType: 'CLIPTextEncode' });
    expect(job.error.message).toMatch(/limit is 20000/);
  });
});
