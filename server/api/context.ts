/** What the route modules share: options, host, stores, executor and bus. */
import type { ServerOptions } from '../config.ts';
import type { Host } from '../host.ts';
import type { EventBus } from '../jobs/bus.ts';
import type { Executor } from '../jobs/executor.ts';
import type { JobStore } from '../store/job-store.ts';
import type { WorkflowStore } from '../store/workflow-store.ts';

export interface ApiContext {
  options: ServerOptions;
  host: Host;
  jobs: JobStore;
  workflows: WorkflowStore;
  executor: Executor;
  bus: EventBus;
  startedAt: number;
}
