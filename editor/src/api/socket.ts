/**
 * The socket.io connection (same origin, default path): run events for the runs this tab subscribed to,
 * and queue changes broadcast to everyone. Subscriptions are replayed after a reconnect.
 */
import { io, type Socket } from 'socket.io-client';

import { type QueueState, type RunEvent, SOCKET_EVENTS } from '../../../protocol/index.ts';

export interface ServerEvents {
  onRunEvent(event: RunEvent): void;
  onQueueChanged(change: QueueState): void;
  onConnection(connected: boolean): void;
}

export interface ServerConnection {
  readonly clientId: string;
  subscribe(runId: string): void;
  unsubscribe(runId: string): void;
  close(): void;
}

export function connectServer(handlers: ServerEvents, clientId: string = newClientId()): ServerConnection {
  const subscribed = new Set<string>();
  const socket: Socket = io({ query: { clientId }, transports: ['websocket', 'polling'] });
  socket.on('connect', () => {
    handlers.onConnection(true);
    for (const runId of subscribed) socket.emit(SOCKET_EVENTS.runSubscribe, { runId });
  });
  socket.on('disconnect', () => handlers.onConnection(false));
  socket.on(SOCKET_EVENTS.runEvent, (event: RunEvent) => handlers.onRunEvent(event));
  socket.on(SOCKET_EVENTS.queueChanged, (change: QueueState) => handlers.onQueueChanged(change));
  return {
    clientId,
    subscribe(runId) {
      subscribed.add(runId);
      socket.emit(SOCKET_EVENTS.runSubscribe, { runId });
    },
    unsubscribe(runId) {
      subscribed.delete(runId);
      socket.emit(SOCKET_EVENTS.runUnsubscribe, { runId });
    },
    close() {
      socket.close();
    },
  };
}

function newClientId(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto ? crypto.randomUUID() : `client-${Date.now()}-${Math.random().toString(36).slice(2)}`;
}
