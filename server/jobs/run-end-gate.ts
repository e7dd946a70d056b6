/**
 * At most one end per run, where run events reach clients across Redis (RedisEventBus, on receive).
 *
 * A run's end (execution_success / execution_error / execution_interrupted) can reach a server twice:
 * ioredis re-sends every command still unanswered when a connection drops (autoResendUnfulfilledCommands),
 * and a command Redis executed just before it went away (its answer lost) runs a second time; BullMQ's
 * at-least-once delivery can run a job again after its first run ended. A ComfyUI client takes a second
 * end as the prompt finishing twice. So the gate remembers the runs that ended and lets nothing more of
 * such a run through: not a repeated end, nor a late event of a run stopped elsewhere (a worker that
 * lost its lock goes on until its next step) arriving after the end.
 *
 * `queued` opens the gate again: a run id is reused only by queueing it anew (a client's prompt_id
 * after its history was deleted), and that is a new run.
 *
 * Memory is bounded: the most recent `capacity` ends are remembered (a repeat comes within seconds of
 * the original, when the connection comes back).
 */
import { type RunEvent, TERMINAL_EVENTS } from '../../protocol/index.ts';

/** Ended runs remembered: ~100 bytes each, so about 1 MB. */
export const RUN_END_GATE_CAPACITY = 10_000;

export class RunEndGate {
  /** Ended run ids, oldest first (a Map keeps insertion order). */
  private readonly ended = new Map<string, true>();

  constructor(private readonly capacity = RUN_END_GATE_CAPACITY) {}

  /** Whether `event` may reach clients; records the run's end when it is one. */
  admit(event: RunEvent): boolean {
    const id = event.runId;
    if (event.type === 'queued') {
      this.ended.delete(id);
      return true;
    }
    if (this.ended.has(id)) return false;
    if (TERMINAL_EVENTS.has(event.type)) {
      this.ended.set(id, true);
      if (this.ended.size > this.capacity) this.ended.delete(this.ended.keys().next().value!);
    }
    return true;
  }

  /** How many ended runs are remembered (for tests). */
  get size(): number {
    return this.ended.size;
  }
}
