/**
 * The values core nodes pass along their sockets, and the per-run services they read, declared into
 * nodes/schema.ts by declaration merging so `run` inputs are typed without casts.
 */
import type { ExecutionGraph } from '../workflow.ts';

/** What the host knows about the run a node belongs to (SaveImage embeds it in its PNGs). */
export interface RunInfo {
  /** The execution form being run (ComfyUI's "prompt"). */
  prompt?: ExecutionGraph | Record<string, unknown>;
  /** Extra data queued with it (ComfyUI's extra_data; extra_pnginfo.workflow is the saved form). */
  extra?: Record<string, unknown>;
}

declare module '../schema.ts' {
  interface HostServices {
    run?: RunInfo;
  }
}
