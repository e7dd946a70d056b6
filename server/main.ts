/**
 * `npm start`: starts latentflow on its embedded defaults and prints the URL it serves.
 * At this stage it serves a health page and a JSON health endpoint; the editor and API follow.
 */
import http from 'node:http';

import { native } from '../native/index.ts';

const port = Number(process.env.PORT ?? 8188);
const host = process.env.HOST ?? '127.0.0.1';

function health() {
  return { status: 'ok', cpu: native.cpuFeatures(), threads: native.threadsGet(), memory: native.memoryStats() };
}

const server = http.createServer((req, res) => {
  if (req.url === '/api/health') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(health()));
    return;
  }
  if (req.url === '/' || req.url === '/index.html') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>latentflow</title></head>
<body><h1>latentflow</h1><p>The engine is up.</p><pre>${JSON.stringify(health(), null, 2)}</pre></body></html>`);
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'not found' }));
});

server.listen(port, host, () => {
  console.log(`latentflow is serving http://${host}:${port}/`);
});
