/**
 * Live events. Two doors onto the same bus:
 * - socket.io (our editor): a client joins a run's room with `run:subscribe {runId}` and receives
 *   `run:event` RunEvents of that run only (a client connected with ?clientId=ID also receives those of
 *   the runs queued with that clientId, from their first event); everyone receives `queue:changed`.
 * - ComfyUI's websocket `/ws?clientId=ID`: JSON messages with ComfyUI's names and payloads (status,
 *   execution_start, execution_cached, executing, progress, executed, execution_error,
 *   execution_interrupted, execution_success) plus binary preview frames, sent to the client that queued
 *   the run (or to every /ws client when the run has no client id, as ComfyUI does).
 * Both check the Host (DNS rebinding), the token when the server has one, and the site, as HTTP does
 * (security.ts: checkLiveRequest); a malformed request is refused, never thrown out of the handler.
 *
 * Both doors are fed by this server's bus: it emits into this server's socket.io rooms and calls the
 * /ws door's listener. With Redis every server instance hears every event and feeds its own clients,
 * a run's end at most once (server/jobs/run-end-gate.ts).
 */
import type http from 'node:http';

import { Server as SocketServer } from 'socket.io';
import { WebSocket, WebSocketServer } from 'ws';

import type { ServerOptions } from '../config.ts';
import { clientRoom, type EventBus, type QueueState, runRoom } from '../jobs/bus.ts';
import { type RunEvent, SOCKET_EVENTS } from '../../protocol/index.ts';
import { checkLiveRequest, requestUrl } from './security.ts';

export interface LiveServers {
  io: SocketServer;
  ws: WebSocketServer;
  close(): Promise<void>;
}

/** ComfyUI's message for a run event, or null when ComfyUI has none. */
export function comfyMessage(event: RunEvent): { type: string; data: Record<string, unknown> } | null {
  const prompt_id = event.runId;
  switch (event.type) {
    case 'execution_start':
      return { type: 'execution_start', data: { prompt_id, timestamp: event.timestamp } };
    case 'execution_cached':
      return { type: 'execution_cached', data: { nodes: event.nodes, prompt_id, timestamp: Date.now() } };
    case 'executing':
      return { type: 'executing', data: { node: event.node, display_node: event.node, prompt_id } };
    case 'progress':
      return { type: 'progress', data: { value: event.value, max: event.max, prompt_id, node: event.node } };
    case 'executed':
      return { type: 'executed', data: { node: event.node, display_node: event.node, output: event.output, prompt_id } };
    case 'execution_error':
      return {
        type: 'execution_error',
        data: {
          prompt_id,
          node_id: event.node,
          node_type: event.nodeType,
          executed: [],
          exception_message: event.message,
          exception_type: event.issues[0]?.code ?? 'error',
          traceback: [],
          current_inputs: {},
          current_outputs: {},
        },
      };
    case 'execution_interrupted':
      return { type: 'execution_interrupted', data: { prompt_id, node_id: event.node, node_type: event.nodeType, executed: event.executed } };
    case 'execution_success':
      return { type: 'execution_success', data: { prompt_id, timestamp: event.timestamp } };
    default:
      return null;
  }
}

/** ComfyUI's binary preview frame: u32 BE event type (1 = preview image), u32 BE format (1 JPEG, 2 PNG), bytes. */
export function comfyPreviewFrame(event: Extract<RunEvent, { type: 'preview' }>): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(1, 0);
  header.writeUInt32BE(event.image.mime === 'image/jpeg' ? 1 : 2, 4);
  return Buffer.concat([header, Buffer.from(event.image.data)]);
}

export function attachLive(httpServer: http.Server, options: ServerOptions, bus: EventBus, queueState: () => Promise<QueueState>): LiveServers {
  const io = new SocketServer(httpServer, {
    serveClient: false,
    maxHttpBufferSize: 1e6,
    allowRequest: (req, callback) => {
      const refusal = checkLiveRequest(options, req);
      callback(refusal ? refusal.reason : null, refusal === null);
    },
  });
  bus.bindRooms(io);
  io.on('connection', (socket) => {
    // A client that says who it is (?clientId=) also gets the events of the runs it queues from their
    // first event on, before it could subscribe to the run's room.
    const clientId = socket.handshake.query.clientId;
    if (typeof clientId === 'string' && clientId.length > 0 && clientId.length <= 200) void socket.join(clientRoom(clientId));
    queueState().then((state) => socket.emit(SOCKET_EVENTS.queueChanged, state), () => {});
    socket.on(SOCKET_EVENTS.runSubscribe, (message: unknown) => {
      const runId = (message as { runId?: unknown })?.runId;
      if (typeof runId === 'string' && runId.length <= 100) void socket.join(runRoom(runId));
    });
    socket.on(SOCKET_EVENTS.runUnsubscribe, (message: unknown) => {
      const runId = (message as { runId?: unknown })?.runId;
      if (typeof runId === 'string') void socket.leave(runRoom(runId));
    });
  });

  const ws = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const comfyClients = new Map<WebSocket, string>();
  httpServer.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/socket.io/')) return; // socket.io handles its own path (and checks it in allowRequest)
    const url = requestUrl(req);
    socket.on('error', () => socket.destroy()); // a client gone mid-handshake is not our error
    const refusal = url?.pathname === '/ws' || url?.pathname === '/api/ws' ? checkLiveRequest(options, req) : { status: 404 as const, reason: 'no websocket here' };
    if (refusal || !url) {
      const status = refusal?.status ?? 400;
      socket.end(`HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    ws.handleUpgrade(req, socket, head, (client) => {
      const clientId = url.searchParams.get('clientId') || crypto.randomUUID().replace(/-/g, '');
      comfyClients.set(client, clientId);
      client.on('close', () => comfyClients.delete(client));
      client.on('error', () => comfyClients.delete(client));
      queueState().then(
        (state) => client.send(JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: state.queued + state.runningIds.length } }, sid: clientId } })),
        () => {},
      );
    });
  });

  const sendComfy = (clientId: string | null, payload: string | Buffer) => {
    for (const [client, id] of comfyClients) {
      if (client.readyState !== WebSocket.OPEN) continue;
      if (clientId === null || id === clientId) client.send(payload);
    }
  };

  const offRun = bus.onRun(({ event, clientId, comfyPreviews }) => {
    if (event.type === 'preview') {
      // ComfyUI sends previews only when its preview method is not none (its default, and ours).
      if (comfyPreviews) sendComfy(clientId, comfyPreviewFrame(event));
      return;
    }
    const message = comfyMessage(event);
    if (message) sendComfy(clientId, JSON.stringify(message));
    if (event.type === 'execution_success' || event.type === 'execution_error' || event.type === 'execution_interrupted') {
      // ComfyUI marks the end of a run with executing(node: null).
      sendComfy(clientId, JSON.stringify({ type: 'executing', data: { node: null, prompt_id: event.runId } }));
    }
  });
  const offQueue = bus.onQueue((state) => {
    sendComfy(null, JSON.stringify({ type: 'status', data: { status: { exec_info: { queue_remaining: state.queued + state.runningIds.length } } } }));
  });

  return {
    io,
    ws,
    async close() {
      offRun();
      offQueue();
      for (const client of comfyClients.keys()) client.terminate();
      ws.close();
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
