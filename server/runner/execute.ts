/**
 * Runs a workflow: validate, order what the output nodes need, reuse cached results, run the rest one
 * node at a time, and report every step through `onEvent` (the events of protocol/events.ts).
 * Interrupting (the AbortSignal) stops at the next node boundary, or inside a node that honours
 * `ctx.signal`; results finished so far stay cached, so a rerun continues where it stopped.
 * A node's failure is wrapped once with its id and type (NodeRunError, original error as `cause`).
 */
import { randomUUID } from 'node:crypto';

import { mapIssueToOuter, type SubgraphOrigins } from '../../nodes/packs/expand.ts';
import type { NodeRegistry } from '../../nodes/registry.ts';
import type { HostServices, Logger, NodeContext, OutputSpecs, PreviewImage, UiOutput } from '../../nodes/schema.ts';
import { outputNames } from '../../nodes/schema.ts';
import { type ExecutionGraph, type Issue, nodeLabel, type RunEvent } from '../../protocol/index.ts';
import { type CacheEntry, estimateBytes, type NodeCache, nodeCacheKey } from './cache.ts';
import { NodeRunError, wrapNodeError } from './node-error.ts';
import { orderGraph } from './order.ts';
import { type ResolvedGraph, type ResolvedNode, resolveGraph } from './validate.ts';

/** Measures peak memory while one node runs (the host plugs in the native engine's counters). */
export interface MemoryProbe {
  /** Called right before a node's run. */
  begin(): void;
  /** Peak bytes since begin(), or null when unknown. */
  peakBytes(): number | null;
}

/** The default probe: measures nothing (peakBytes null); the host plugs in the engine's counters. */
export const noMemoryProbe: MemoryProbe = { begin() {}, peakBytes: () => null };

/**
 * A coarse probe: the larger of the process's resident set size before and after the node
 * (not a true peak, and reading it costs ~0.1 ms; the host should pass a probe reading the engine's
 * high-water mark).
 */
export function rssProbe(): MemoryProbe {
  let before = 0;
  return {
    begin() {
      before = process.memoryUsage.rss();
    },
    peakBytes() {
      return Math.max(before, process.memoryUsage.rss());
    },
  };
}

/** Writes warnings and errors to the console, drops debug and info. */
export const consoleLogger: Logger = {
  debug() {},
  info() {},
  warn: (message, details) => console.warn(message, details ?? ''),
  error: (message, details) => console.error(message, details ?? ''),
};

export interface ExecuteOptions {
  /** Id carried by every event (ComfyUI's prompt_id); a random UUID by default. */
  runId?: string;
  /** Interrupts the run. */
  signal?: AbortSignal;
  /** Receives every event in order; an exception thrown here is logged, not propagated. */
  onEvent?: (event: RunEvent) => void;
  /** Results shared between runs; without it every node runs every time. */
  cache?: NodeCache;
  /** Given to nodes as ctx.services and to dynamic options at validation. */
  services?: HostServices;
  /** Peak memory per node for the stats event (default: none, peakBytes null). */
  memoryProbe?: MemoryProbe;
  logger?: Logger;
}

export interface RunResult {
  runId: string;
  status: 'success' | 'invalid' | 'error' | 'interrupted';
  /** Validation issues ('invalid') or the failed node's one issue ('error'); empty otherwise. */
  issues: Issue[];
  /** The wrapped failure ('error'), with the node's original error as `cause`. */
  error?: NodeRunError;
  /** What each output node gave the client (its `ui`), by node id. */
  outputs: Record<string, UiOutput>;
  /** Nodes that ran, in order. */
  executed: string[];
  /** Nodes served from the cache. */
  cached: string[];
}

/**
 * Checks and runs a parsed workflow (the execution form: protocol's parseWorkflow reads either form)
 * with the node types of `registry`. It is checked here against this process's registry and memory
 * budget, which may not be those it was queued with (a remote worker, a restart, a pack removed).
 *
 * @example
 *   const controller = new AbortController();
 *   const result = await executeGraph(workflow, registry, {
 *     signal: controller.signal, cache, services: { paths }, onEvent: (e) => bus.emit(e),
 *   });
 *   if (result.status === 'error') console.error(result.error!.issue.message);
 */
export async function executeGraph(workflow: ExecutionGraph, registry: NodeRegistry, options: ExecuteOptions = {}): Promise<RunResult> {
  const runId = options.runId ?? randomUUID();
  const logger = options.logger ?? consoleLogger;
  const services = options.services ?? {};
  const signal = options.signal ?? new AbortController().signal;
  const cache = options.cache;
  const probe = options.memoryProbe ?? noMemoryProbe;
  const emit = (event: RunEvent) => {
    try {
      options.onEvent?.(event);
    } catch (error) {
      logger.error(`latentflow: an event listener threw on "${event.type}"`, { error: String(error) });
    }
  };
  const result: RunResult = { runId, status: 'success', issues: [], outputs: {}, executed: [], cached: [] };

  const { graph, issues } = resolveGraph(workflow, registry, services);
  if (!graph) {
    emit({ type: 'execution_error', runId, node: null, nodeType: null, message: issues[0].message, issues });
    return { ...result, status: 'invalid', issues };
  }

  emit({ type: 'execution_start', runId, timestamp: Date.now() });
  const pinned: string[] = [];
  let current: ResolvedNode | undefined;
  try {
    const ordered = orderGraph(graph.graph, graph.outputNodes);
    if (!ordered.ok) throw new Error(ordered.issue.message); // validation already refused loops
    const keys = new Map<string, string>();
    const outputKeys = new Map<string, string[]>();
    for (const id of ordered.order) {
      current = graph.nodes.get(id)!;
      const key = await keyOf(current, outputKeys, services);
      keys.set(id, key.node);
      outputKeys.set(id, key.outputs);
    }
    current = undefined;
    const plan = planRun(graph, ordered.order, keys, cache);
    for (const id of plan.used) {
      cache!.pin(keys.get(id)!);
      pinned.push(keys.get(id)!);
    }
    result.cached = plan.cached;
    emit({ type: 'execution_cached', runId, nodes: plan.cached });

    const values = new Map<string, Record<string, unknown>>();
    const valuesOf = (id: string) => values.get(id) ?? cache!.get(keys.get(id)!)!.outputs;
    const finished: string[] = [];
    for (const id of ordered.order) {
      const node = graph.nodes.get(id)!;
      if (plan.used.has(id)) {
        const entry = cache!.get(keys.get(id)!)!;
        if (node.definition.outputNode || entry.ui) {
          result.outputs[id] = entry.ui ?? {};
          emit({ type: 'executed', runId, node: id, nodeType: node.type, output: entry.ui ?? {}, cached: true });
        }
        finished.push(id);
        continue;
      }
      if (!plan.run.has(id)) continue;
      current = node;
      if (signal.aborted) return interrupted(result, emit, node, finished);
      emit({ type: 'executing', runId, node: id, nodeType: node.type });
      const input: Record<string, unknown> = { ...node.widgets };
      for (const [name, [from, index]] of Object.entries(node.links)) {
        input[name] = valuesOf(from)[outputNames(graph.nodes.get(from)!.definition)[index]];
      }
      const extra: Record<string, number> = {};
      const ctx = nodeContext(runId, node, signal, services, logger, emit, extra);
      probe.begin();
      const started = performance.now();
      let output: Record<string, unknown>;
      try {
        output = checkResult(node, await node.definition.run(input, ctx.context));
      } catch (error) {
        ctx.close();
        if (signal.aborted) return interrupted(result, emit, node, finished);
        throw error;
      }
      ctx.close();
      const ms = performance.now() - started;
      const { ui, ...outputs } = output as Record<string, unknown> & { ui?: UiOutput };
      values.set(id, outputs);
      const policy = node.definition.cache;
      if (cache && policy?.enabled !== false) {
        const entry: CacheEntry = {
          nodeType: node.type,
          outputs,
          ...(ui ? { ui } : {}),
          sizeBytes: policy?.sizeBytes ? policy.sizeBytes(outputs) : estimateBytes(outputs),
          ...(policy?.dispose ? { dispose: () => policy.dispose!(outputs) } : {}),
        };
        if (cache.set(keys.get(id)!, entry, { pin: true })) pinned.push(keys.get(id)!);
      }
      result.executed.push(id);
      finished.push(id);
      emit({ type: 'stats', runId, node: id, nodeType: node.type, ms, peakBytes: probe.peakBytes(), extra });
      if (node.definition.outputNode || ui) {
        result.outputs[id] = ui ?? {};
        emit({ type: 'executed', runId, node: id, nodeType: node.type, output: ui ?? {}, cached: false });
      }
    }
    current = undefined;
    emit({ type: 'execution_success', runId, timestamp: Date.now() });
    return result;
  } catch (error) {
    // An inner node of a subgraph fails on the outer node the user sees (inner id in details).
    const wrapped = current ? onOuterNode(wrapNodeError(error, current.id, current.type), graph.origins) : internalError(error);
    const node = wrapped.issue.nodeId ?? null;
    emit({ type: 'execution_error', runId, node, nodeType: node === null ? null : (wrapped.issue.nodeType ?? null), message: wrapped.issue.message, issues: [wrapped.issue] });
    return { ...result, status: 'error', issues: [wrapped.issue], error: wrapped };
  } finally {
    for (const key of pinned) cache!.unpin(key);
    cache?.enforceLimits();
  }
}

/**
 * The cache key of a node, from its widgets, fingerprint and the keys of the upstream outputs it links
 * from (upstream keyed first), and the key each of its outputs gives downstream: the node's key, or for
 * an output whose definition names the widgets it depends on (cache.outputWidgets: LoraLoader's CLIP
 * and strength_clip), a key of those widgets alone, so changing another widget reruns only what
 * depends on it.
 */
async function keyOf(node: ResolvedNode, outputKeys: Map<string, string[]>, services: HostServices): Promise<{ node: string; outputs: string[] }> {
  const links: Record<string, [string, number]> = {};
  for (const [name, [from, index]] of Object.entries(node.links)) links[name] = [outputKeys.get(from)![index], index];
  const fingerprint = node.definition.cache?.fingerprint ? String(await node.definition.cache.fingerprint(node.widgets, services)) : undefined;
  const parts = { type: node.type, version: node.definition.version, links, ...(fingerprint !== undefined ? { fingerprint } : {}) };
  const key = nodeCacheKey({ ...parts, widgets: node.widgets });
  const outputWidgets: Record<string, readonly string[] | undefined> = node.definition.cache?.outputWidgets ?? {};
  const outputs = Object.keys(node.definition.outputs).map((output) => {
    const only = outputWidgets[output];
    if (!only) return key;
    const widgets = Object.fromEntries(only.map((w) => [w, node.widgets[w]]));
    return nodeCacheKey({ ...parts, widgets: { ...widgets, '#output': output } });
  });
  return { node: key, outputs };
}

/**
 * Which nodes run and which come from the cache. Walks consumers before producers: an output node is
 * needed; a needed node with a cached result is served from the cache (`used`) and needs nothing
 * upstream; otherwise it runs and needs what it links from. `cached` lists every node of the order
 * whose result is cached, used or not (what the editor marks as up to date).
 */
function planRun(
  graph: ResolvedGraph,
  order: string[],
  keys: Map<string, string>,
  cache: NodeCache | undefined,
): { run: Set<string>; used: Set<string>; cached: string[] } {
  const hit = (id: string) => cache !== undefined && graph.nodes.get(id)!.definition.cache?.enabled !== false && cache.has(keys.get(id)!);
  const needed = new Set(graph.outputNodes);
  const run = new Set<string>();
  const used = new Set<string>();
  for (let i = order.length - 1; i >= 0; i--) {
    const id = order[i];
    if (!needed.has(id)) continue;
    if (hit(id)) {
      used.add(id);
      continue;
    }
    run.add(id);
    for (const [from] of Object.values(graph.nodes.get(id)!.links)) needed.add(from);
  }
  return { run, used, cached: order.filter(hit) };
}

/** The run result must be an object with every declared output. */
function checkResult(node: ResolvedNode, value: unknown): Record<string, unknown> {
  const names = Object.keys(node.definition.outputs as OutputSpecs);
  if (typeof value !== 'object' || value === null) {
    throw new Error(`returned ${value === null ? 'null' : typeof value} instead of an object with outputs ${names.join(', ') || '(none)'}; this is a bug in the node type`);
  }
  const missing = names.filter((n) => !(n in value));
  if (missing.length > 0) throw new Error(`returned no value for output${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; this is a bug in the node type`);
  return value as Record<string, unknown>;
}

function nodeContext(
  runId: string,
  node: ResolvedNode,
  signal: AbortSignal,
  services: HostServices,
  logger: Logger,
  emit: (event: RunEvent) => void,
  extra: Record<string, number>,
): { context: NodeContext; close(): void } {
  let open = true;
  const label = nodeLabel(node.type, node.id);
  const prefixed = (fn: Logger['info']): Logger['info'] => (message, details) => fn(`${label}: ${message}`, details);
  const context: NodeContext = {
    nodeId: node.id,
    nodeType: node.type,
    signal,
    services,
    progress(value, max) {
      if (open) emit({ type: 'progress', runId, node: node.id, value, max });
    },
    preview(image: PreviewImage) {
      if (open) emit({ type: 'preview', runId, node: node.id, image });
    },
    stats(values) {
      Object.assign(extra, values);
    },
    log: { debug: prefixed(logger.debug), info: prefixed(logger.info), warn: prefixed(logger.warn), error: prefixed(logger.error) },
  };
  return {
    context,
    close() {
      open = false;
    },
  };
}

function interrupted(result: RunResult, emit: (event: RunEvent) => void, node: ResolvedNode, finished: string[]): RunResult {
  emit({ type: 'execution_interrupted', runId: result.runId, node: node.id, nodeType: node.type, executed: [...finished] });
  return { ...result, status: 'interrupted' };
}

function onOuterNode(wrapped: NodeRunError, origins: SubgraphOrigins): NodeRunError {
  if (!wrapped.issue.nodeId || !origins.has(wrapped.issue.nodeId)) return wrapped;
  return new NodeRunError(mapIssueToOuter(wrapped.issue, origins), { cause: wrapped.cause });
}

function internalError(error: unknown): NodeRunError {
  const message = `The runner failed outside any node: ${error instanceof Error ? error.message : String(error)}`;
  return new NodeRunError({ code: 'node_failed', message, details: { internal: true } }, { cause: error });
}
