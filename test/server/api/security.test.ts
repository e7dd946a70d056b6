// Listening beyond loopback needs a token, checked on HTTP and on both websockets.
import { io as connect } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { checkHost, hostName, jsonTextDepth } from '../../../server/api/security.ts';
import { DEFAULT_OPTIONS, isLoopback, parseServeArgs, type ServerOptions, UsageError } from '../../../server/config.ts';
import { startTestServer, type TestServer } from '../../helpers/server.ts';

describe('serve options', () => {
  it('refuses to listen beyond loopback without a token', () => {
    expect(() => parseServeArgs(['--listen', '0.0.0.0'], {})).toThrow(UsageError);
    expect(parseServeArgs(['--listen', '0.0.0.0', '--token', 's3cret'], {}).token).toBe('s3cret');
    expect(parseServeArgs([], { LATENTFLOW_TOKEN: 'x', LATENTFLOW_LISTEN: '0.0.0.0' }).listen).toBe('0.0.0.0');
    expect(() => parseServeArgs(['--port', 'abc'], {})).toThrow(/--port/);
    expect(() => parseServeArgs(['--bogus'], {})).toThrow(/unknown option --bogus/);
  });
});

describe('serve options: hosts and image size', () => {
  it('reads --allowed-hosts (repeatable, comma-separated, lower case) and --max-image-pixels', () => {
    const options = parseServeArgs(['--allowed-hosts', 'A.example, b.example', '--allowed-hosts=c.example', '--max-image-pixels', '1000'], {});
    expect(options.allowedHosts).toEqual(['a.example', 'b.example', 'c.example']);
    expect(options.maxImagePixels).toBe(1000);
    expect(parseServeArgs([], { LATENTFLOW_ALLOWED_HOSTS: 'x.example', LATENTFLOW_MAX_IMAGE_PIXELS: '64' })).toMatchObject({ allowedHosts: ['x.example'], maxImagePixels: 64 });
    expect(parseServeArgs([], {}).maxImagePixels).toBe(4096 * 4096);
    expect(() => parseServeArgs(['--max-image-pixels', '-5'], {})).toThrow(/--max-image-pixels/);
  });

  it('takes only exact loopback addresses for loopback: 127.0.0.1.evil.example is not one', () => {
    for (const yes of ['localhost', '127.0.0.1', '127.255.0.9', '::1']) expect(isLoopback(yes), yes).toBe(true);
    for (const no of ['127.0.0.1.evil.example', '127.evil', '0.0.0.0', '::', '10.0.0.1', '127.1']) expect(isLoopback(no), no).toBe(false);
    expect(() => parseServeArgs(['--listen', '127.0.0.1.evil.example'], {})).toThrow(/token/);
  });
});

describe('Host check (DNS rebinding)', () => {
  const loopback = { ...DEFAULT_OPTIONS, allowedHosts: ['lf.example'] };
  const wide = { ...DEFAULT_OPTIONS, listen: '0.0.0.0', token: 't', allowedHosts: [] };

  it('parses Host headers, refusing malformed ones', () => {
    expect(hostName('LocalHost:8188')).toBe('localhost');
    expect(hostName('[::1]:80')).toBe('::1');
    expect(hostName('example.com.')).toBe('example.com');
    for (const bad of ['[::1', '[evil]:80', 'a:b', 'a:80:90', '[::1]x', ':80']) expect(hostName(bad), bad).toBeNull();
  });

  it.each<[ServerOptions, string | undefined, boolean]>([
    [loopback, 'localhost:8188', true],
    [loopback, '127.0.0.1', true],
    [loopback, '127.3.2.1:1', true],
    [loopback, '[::1]:8188', true],
    [loopback, 'lf.example:8188', true],
    [loopback, '127.0.0.1.evil.example', false],
    [loopback, 'evil.example', false],
    [loopback, '10.0.0.5:8188', false],
    [loopback, undefined, false],
    [wide, '10.0.0.5:8188', true],
    [wide, '[fd00::1]:8188', true],
    [wide, 'evil.example', false],
    [{ ...wide, allowedHosts: ['*'] }, 'evil.example', true],
    [{ ...DEFAULT_OPTIONS, listen: 'studio.lan', token: 't' }, 'Studio.LAN:8188', true],
  ])('%#: Host %s -> %s', (options, host, ok) => {
    expect(checkHost(options, host) === null).toBe(ok);
  });
});

describe('jsonTextDepth', () => {
  it('counts brackets outside strings and stops past the limit', () => {
    const depth = (text: string, limit = 100) => jsonTextDepth(Buffer.from(text), limit);
    expect(depth('1')).toBe(0);
    expect(depth('{"a": [1, {"b": []}]}')).toBe(4);
    expect(depth('{"a": "[[[[{{{{\\"[[["}')).toBe(1);
    expect(depth('['.repeat(3_900_000), 64)).toBe(65);
  });
});

describe('token', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ listen: '127.0.0.1', token: 's3cret-token' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 401 without the token and 200 with it (header, query, then cookie)', async () => {
    expect((await fetch(`${t.base}/api/system`)).status).toBe(401);
    expect((await fetch(`${t.base}/api/system`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${t.base}/api/system`, { headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
    const viaQuery = await fetch(`${t.base}/api/system?token=s3cret-token`);
    expect(viaQuery.status).toBe(200);
    const cookie = viaQuery.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect((await fetch(`${t.base}/api/system`, { headers: { cookie: cookie.split(';')[0] } })).status).toBe(200);
  });

  it('checks the token on ComfyUI /ws', async () => {
    const refused = new WebSocket(`ws://${t.address}/ws?clientId=a`);
    const status = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(status).toBe(401);
    const accepted = new WebSocket(`ws://${t.address}/ws?clientId=a&token=s3cret-token`);
    const first = await new Promise<string>((resolve) => accepted.on('message', (d) => resolve(d.toString())));
    expect(JSON.parse(first).type).toBe('status');
    accepted.close();
  });

  it('checks the token on socket.io: refused on both transports, no socket on the server; accepted with it', async () => {
    const io = t.server.live.io;
    const refusal = async (transport: 'websocket' | 'polling') => {
      const refused = connect(t.base, { transports: [transport], reconnection: false });
      const error = await new Promise<Error & { description?: unknown }>((resolve) => refused.on('connect_error', resolve));
      expect(refused.connected).toBe(false);
      refused.close();
      return error;
    };
    // The handshake is refused by the server (engine.io's allowRequest): the upgrade gets HTTP 400, the poll 403.
    expect((await refusal('websocket')).description).toMatchObject({ message: expect.stringMatching(/Unexpected server response: 400/) });
    expect((await refusal('polling')).description).toBe(403);
    expect(io.engine.clientsCount).toBe(0);
    const accepted = connect(t.base, { transports: ['websocket'], reconnection: false, query: { token: 's3cret-token' } });
    await new Promise<void>((resolve) => accepted.on('connect', () => resolve()));
    expect(accepted.connected).toBe(true);
    expect(io.engine.clientsCount).toBe(1);
    accepted.close();
  });
});
