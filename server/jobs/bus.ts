/**
 * The event bus between whatever runs jobs and whatever shows them (socket.io rooms, ComfyUI /ws).
 * Every run event travels with the id of the client that queued it, so /ws can address that client.
 */
import { EventEmitter } from 'node:events';

import type { RunEvent } from '../api/protocol.ts';

export interface RunEventEnvelope {
  event: RunEvent;
  clientId: string | null;
}

export interface QueueState {
  queued: number;
  running: string | null;
}

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publishRun(envelope: RunEventEnvelope): void {
    this.emitter.emit('run', envelope);
  }

  publishQueue(state: QueueState): void {
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
}
