/**
 * The event bus across processes. Run events and queue states are published on one Redis pub/sub
 * channel that every server instance (and worker) hears, so each server's /ws door sends a job's
 * events to its own clients whichever worker ran it. socket.io rooms are addressed by the publisher
 * through a socket.io server with the Redis adapter: a worker holds one without clients, so its
 * `io.to('run:<id>').emit(...)` reaches the room's members on every server instance, once.
 */
import { EventEmitter } from 'node:events';

import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import type { Server as SocketServer } from 'socket.io';

import { emitToRooms, type EventBus, type QueueState, type RunEventEnvelope } from '../bus.ts';
import { openRedis, type RedisQueueOptions, redisKeys } from './options.ts';

interface BusMessage {
  run?: RunEventEnvelope;
  queue?: QueueState;
}

/** JSON with byte arrays (preview images) as base64. */
export function encodeMessage(message: BusMessage): string {
  return JSON.stringify(message, (_key, value) => (value instanceof Uint8Array ? { $bytes: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } : value));
}

export function decodeMessage(text: string): BusMessage {
  return JSON.parse(text, (_key, value) =>
    value && typeof value === 'object' && typeof value.$bytes === 'string' && Object.keys(value).length === 1 ? new Uint8Array(Buffer.from(value.$bytes, 'base64')) : value,
  );
}

export class RedisEventBus implements EventBus {
  private readonly emitter = new EventEmitter();
  private readonly keys;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly subscribed: Promise<unknown>;
  private readonly adapterClients: Redis[] = [];
  private io: SocketServer | null = null;

  constructor(
    private readonly options: RedisQueueOptions,
    private readonly name: string,
  ) {
    this.emitter.setMaxListeners(0);
    this.keys = redisKeys(options.prefix);
    this.pub = openRedis(options.url, { name: `${name}:events-pub` });
    this.sub = openRedis(options.url, { name: `${name}:events-sub`, blocking: true });
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== this.keys.events) return;
      let message: BusMessage;
      try {
        message = decodeMessage(text);
      } catch {
        return; // not ours
      }
      if (message.run) this.emitter.emit('run', message.run);
      if (message.queue) this.emitter.emit('queue', message.queue);
    });
    this.subscribed = this.sub.subscribe(this.keys.events);
  }

  /** Resolves once this process hears the channel. */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  publishRun(envelope: RunEventEnvelope): void {
    emitToRooms(this.io, { run: envelope });
    this.pub.publish(this.keys.events, encodeMessage({ run: envelope })).catch(() => {}); // errors are logged by the connection
  }

  publishQueue(state: QueueState): void {
    emitToRooms(this.io, { queue: state });
    this.pub.publish(this.keys.events, encodeMessage({ queue: state })).catch(() => {});
  }

  onRun(listener: (envelope: RunEventEnvelope) => void): () => void {
    this.emitter.on('run', listener);
    return () => this.emitter.off('run', listener);
  }

  onQueue(listener: (state: QueueState) => void): () => void {
    this.emitter.on('queue', listener);
    return () => this.emitter.off('queue', listener);
  }

  /** Installs the socket.io Redis adapter on `io`, so its room emits reach every server instance. */
  bindRooms(io: SocketServer): void {
    const pubClient = openRedis(this.options.url, { name: `${this.name}:socket.io-pub` });
    const subClient = openRedis(this.options.url, { name: `${this.name}:socket.io-sub`, blocking: true });
    this.adapterClients.push(pubClient, subClient);
    io.adapter(createAdapter(pubClient, subClient, { key: this.keys.socketIo }));
    this.io = io;
  }

  async close(): Promise<void> {
    this.io = null;
    this.emitter.removeAllListeners();
    await Promise.all([this.pub, this.sub, ...this.adapterClients].map((c) => c.quit().catch(() => c.disconnect())));
  }
}
