/**
 * The event bus between whatever runs jobs and whatever shows them (socket.io rooms, ComfyUI /ws).
 * Every run event travels with the id of the client that queued it, so /ws can address that client.
 *
 * Two doors, both fed by the bus of the process that serves the clients:
 * - socket.io rooms, through the socket.io server bound with `bindRooms` (`run:<id>`, `client:<id>`);
 * - listeners (`onRun`, `onQueue`: the /ws door of each server, waiters), which receive every event.
 * `LocalEventBus` keeps both in this process (it shows what it publishes at once); `RedisEventBus`
 * (server/jobs/redis/redis-bus.ts) spans processes: every server shows its own clients what it hears
 * on Redis, after a gate that lets each run end at most once (run-end-gate.ts).
 */
import { EventEmitter } from 'node:events';

import type { Server as SocketServer } from 'socket.io';

import { type QueueState, type RunEvent, SOCKET_EVENTS } from '../../protocol/index.ts';

export type { QueueState };

export interface RunEventEnvelope {
  event: RunEvent;
  clientId: string | null;
  /** Whether ComfyUI's /ws sends this run's previews (its preview method is not none); socket.io always does. */
  comfyPreviews?: boolean;
}

export interface EventBus {
  publishRun(envelope: RunEventEnvelope): void;
  publishQueue(state: QueueState): void;
  onRun(listener: (envelope: RunEventEnvelope) => void): () => void;
  onQueue(listener: (state: QueueState) => void): () => void;
  /** Lets the bus emit run events into this process's socket.io rooms (`run:<id>`) and queue changes to everyone. */
  bindRooms(io: SocketServer): void;
  close(): Promise<void>;
}

/** The room a run's socket.io events go to. */
export function runRoom(runId: string): string {
  return `run:${runId}`;
}

/** The room of the sockets connected with ?clientId=ID: they get the runs queued with that id. */
export function clientRoom(clientId: string): string {
  return `client:${clientId}`;
}

/** Emits one envelope or state to socket.io (shared by both buses); a socket in both rooms gets it once. */
export function emitToRooms(io: SocketServer | null, message: { run?: RunEventEnvelope; queue?: QueueState }): void {
  if (!io) return;
  if (message.run) {
    const { event, clientId } = message.run;
    io.to(clientId ? [runRoom(event.runId), clientRoom(clientId)] : runRoom(event.runId)).emit(SOCKET_EVENTS.runEvent, event);
  }
  if (message.queue) io.emit(SOCKET_EVENTS.queueChanged, message.queue);
}

/** Everything in this process: the embedded server and the CLI. */
export class LocalEventBus implements EventBus {
  private readonly emitter = new EventEmitter();
  private io: SocketServer | null = null;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publishRun(envelope: RunEventEnvelope): void {
    emitToRooms(this.io, { run: envelope });
    this.emitter.emit('run', envelope);
  }

  publishQueue(state: QueueState): void {
    emitToRooms(this.io, { queue: state });
    this.emitter.emit('queue', state);
  }

  onRun(listener: (envelope: RunEventEnvelope) => void): () => void {
    this.emitter.on('run', listener);
    return () => this.emitter.off('run', listener);
  }

  onQueue(listener: (state: QueueState) => void): () => void {
    this.emitter.on('queue', listener);
    return () => this.emitter.off('queue', listener);
  }

  bindRooms(io: SocketServer): void {
    this.io = io;
  }

  async close(): Promise<void> {
    this.io = null;
    this.emitter.removeAllListeners();
  }
}
