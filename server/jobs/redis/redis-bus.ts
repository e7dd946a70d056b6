/**
 * The event bus across processes. Run events and queue states are published on one Redis pub/sub
 * channel that every server instance (and worker) hears, and each server hands what it hears to its
 * own clients: its socket.io sockets (rooms `run:<id>`, `client:<id>`, everyone for queue states) and
 * its listeners (the /ws door, waiters). The publisher shows nothing itself: a server hears its own
 * events back like everyone else's, so both doors of every server see one stream, in Redis' order.
 *
 * One door in, one gate: a run event passes a RunEndGate (../run-end-gate.ts) before it reaches
 * anyone, so a run ends at most once for every client even when Redis delivers its end twice (a
 * publish re-sent by ioredis after a reconnect, a job run again by BullMQ after it ended).
 * Pub/sub keeps nothing: what is published while a subscriber reconnects is lost (clients re-read a
 * run's record, which Redis keeps).
 */
import { EventEmitter } from 'node:events';

import type { Redis } from 'ioredis';
import type { Server as SocketServer } from 'socket.io';

import { emitToRooms, type EventBus, type QueueState, type RunEventEnvelope } from '../bus.ts';
import { RunEndGate } from '../run-end-gate.ts';
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
  private readonly gate = new RunEndGate();
  private io: SocketServer | null = null;

  constructor(options: RedisQueueOptions, name: string) {
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
      this.deliver(message);
    });
    this.subscribed = this.sub.subscribe(this.keys.events);
  }

  /** Resolves once this process hears the channel. */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  /** Hands a message heard on the channel to this process's clients (a run event only through the gate). */
  private deliver(message: BusMessage): void {
    if (typeof message.run?.event?.runId === 'string' && this.gate.admit(message.run.event)) {
      emitToRooms(this.io, { run: message.run });
      this.emitter.emit('run', message.run);
    }
    if (message.queue) {
      emitToRooms(this.io, { queue: message.queue });
      this.emitter.emit('queue', message.queue);
    }
  }

  publishRun(envelope: RunEventEnvelope): void {
    this.pub.publish(this.keys.events, encodeMessage({ run: envelope })).catch(() => {}); // errors are logged by the connection
  }

  publishQueue(state: QueueState): void {
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

  /**
   * Lets what this process hears reach `io`'s sockets. `io` keeps socket.io's in-process adapter: every
   * server emits to its own sockets what it hears, so an emit must not travel to the other servers too.
   */
  bindRooms(io: SocketServer): void {
    this.io = io;
  }

  async close(): Promise<void> {
    this.io = null;
    this.emitter.removeAllListeners();
    await Promise.all([this.pub, this.sub].map((c) => c.quit().catch(() => c.disconnect())));
  }
}
