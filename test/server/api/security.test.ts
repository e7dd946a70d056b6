// Listening beyond loopback needs a token, checked on HTTP and on both websockets.
import { io as connect } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseServeArgs, UsageError } from '../../../server/config.ts';
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
