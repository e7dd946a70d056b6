/** What the route modules share: options, host, stores, the job queue and its bus. */
import type { ServerOptions } from '../config.ts';
import type { Host } from '../host.ts';
import type { EventBus } from '../jobs/bus.ts';
import type { JobQueue } from '../jobs/queue.ts';
import type { WorkflowStore } from '../store/workflow-store.ts';

export interface ApiContext {
  options: ServerOptions;
  host: Host;
  /** Embedded (SQLite + this process) or Redis (BullMQ + remote workers); routes see only the interface. */
  queue: JobQueue;
  workflows: WorkflowStore;
  bus: EventBus;
  startedAt: number;
}
