/**
 * Checks a workflow against the registry before anything runs and returns every problem
 * at once, so the editor can mark all failing nodes: unknown node types, inputs missing or unknown,
 * links to missing nodes/outputs, socket type mismatches, widget values of the wrong type, not finite,
 * not integer, out of range or not among the options, loops, and a workflow without an output node.
 * Widget values are checked with the zod schemas derived from the node definitions.
 *
 * Subgraph nodes (nodes/packs/subgraph.ts) are checked twice: first the workflow as drawn (so problems
 * with what the user gave a subgraph node are reported on it, under its declared input names), then,
 * after expandSubgraphs replaced them by their inner nodes, the graph that will run; a problem of an
 * inner node is reported on the outer node (inner id, type and input in details).
 */
import type { z } from 'zod';

import type { NodeRegistry } from '../../nodes/registry.ts';
import {
  type AnyNodeDefinition,
  type HostServices,
  type InputSpecs,
  isWidgetSpec,
  outputNames,
  type OutputSpecs,
  resolveOptions,
  type SocketType,
  type WidgetSpec,
  widgetSchema,
} from '../../nodes/schema.ts';
import { expandSubgraphs, hasSubgraphNodes, mapIssueToOuter, type SubgraphOrigins } from '../../nodes/packs/expand.ts';
import { asLink, compareNodeIds, type ExecutionGraph, type Issue, type Link, nodeLabel, parseWorkflow } from '../../protocol/index.ts';
import { cycleIssue, findCycles } from './order.ts';

/** A node whose inputs checked out: widget values (defaults filled in) and links by input name. */
export interface ResolvedNode {
  id: string;
  type: string;
  definition: AnyNodeDefinition;
  widgets: Record<string, unknown>;
  links: Record<string, Link>;
}

/** A workflow that validated: the execution form, its resolved nodes, and its output nodes (sorted by id). */
export interface ResolvedGraph {
  /** The graph that runs: subgraph nodes replaced by their inner nodes (`<outerId>/<innerId>`). */
  graph: ExecutionGraph;
  nodes: Map<string, ResolvedNode>;
  outputNodes: string[];
  /** Inner node id -> the outer subgraph node it came from (empty without subgraph nodes). */
  origins: SubgraphOrigins;
}

/**
 * Every problem of a workflow's JSON (saved or execution form, parsed here) against `registry`; empty
 * when it can run. `env` is what dynamic options (model file lists) are evaluated against.
 *
 * @example
 *   const issues = validateGraph(body, registry, { paths });
 *   if (issues.length > 0) return res.status(400).json({ issues });
 */
export function validateGraph(workflow: unknown, registry: NodeRegistry, env: HostServices = {}): Issue[] {
  const parsed = parseWorkflow(workflow, registry);
  if (!parsed.graph) return parsed.issues;
  return resolve(parsed.graph, registry, env, parsed.issues).issues;
}

/**
 * Checks a parsed workflow against `registry` and resolves it for running (what executeGraph runs):
 * subgraph nodes expanded, every node's definition, widget values (defaults filled in) and links.
 */
export function resolveGraph(graph: ExecutionGraph, registry: NodeRegistry, env: HostServices = {}): { graph?: ResolvedGraph; issues: Issue[] } {
  return resolve(graph, registry, env, []);
}

function resolve(graph: ExecutionGraph, registry: NodeRegistry, env: HostServices, parseIssues: Issue[]): { graph?: ResolvedGraph; issues: Issue[] } {
  if (!hasSubgraphNodes(graph, registry)) return checkGraph(graph, registry, env, parseIssues, new Map());
  // The workflow as drawn; an inner output node may be what makes it run, so that check waits.
  const drawn = checkGraph(graph, registry, env, parseIssues, new Map(), { requireOutputNode: false });
  if (drawn.issues.length > 0) return drawn;
  const expanded = expandSubgraphs(graph, registry);
  if (expanded.issues.length > 0) return { issues: expanded.issues };
  const inner = checkGraph(expanded.graph, registry, env, [], expanded.origins);
  return inner.graph ? inner : { issues: inner.issues.map((issue) => mapIssueToOuter(issue, expanded.origins)) };
}

function checkGraph(
  graph: ExecutionGraph,
  registry: NodeRegistry,
  env: HostServices,
  parseIssues: Issue[],
  origins: SubgraphOrigins,
  { requireOutputNode = true } = {},
): { graph?: ResolvedGraph; issues: Issue[] } {
  const issues: Issue[] = [...parseIssues];
  const nodes = new Map<string, ResolvedNode>();
  const outputNodes: string[] = [];
  const ids = Object.keys(graph).sort(compareNodeIds);
  for (const id of ids) {
    const node = graph[id];
    const definition = registry.get(node.class_type);
    if (!definition) {
      issues.push(unknownTypeIssue(registry, id, node.class_type));
      // Its links can still point nowhere; report those too.
      for (const [input, value] of Object.entries(node.inputs)) {
        const link = asLink(value);
        if (link && !Object.hasOwn(graph, link[0])) issues.push(linkMissingNodeIssue(id, node.class_type, input, link));
      }
      continue;
    }
    const before = issues.length;
    const resolved = resolveNode(graph, registry, env, id, definition, issues);
    if (issues.length === before) issues.push(...checkWidgetsTogether(resolved, env));
    nodes.set(id, resolved);
    if (definition.outputNode) outputNodes.push(id);
  }
  for (const cycle of findCycles(graph)) issues.push(cycleIssue(graph, cycle));
  if (requireOutputNode && outputNodes.length === 0 && ids.every((id) => registry.has(graph[id].class_type))) {
    issues.push({
      code: 'output_node_missing',
      message: 'The workflow has no output node (such as SaveImage or PreviewImage), so nothing would run; add one.',
      details: { nodes: ids.length },
    });
  }
  return issues.length > 0 ? { issues } : { graph: { graph, nodes, outputNodes, origins }, issues };
}

function resolveNode(graph: ExecutionGraph, registry: NodeRegistry, env: HostServices, id: string, definition: AnyNodeDefinition, issues: Issue[]): ResolvedNode {
  const type = definition.type;
  const label = nodeLabel(type, id);
  const inputs = graph[id].inputs;
  const specs = definition.inputs as InputSpecs;
  const widgets: Record<string, unknown> = {};
  const links: Record<string, Link> = {};
  const at = (input: string) => ({ nodeId: id, nodeType: type, input });

  for (const input of Object.keys(inputs)) {
    if (Object.hasOwn(specs, input)) continue;
    issues.push({
      code: 'input_unknown',
      message: `${label}: there is no input "${input}" (inputs: ${Object.keys(specs).join(', ') || 'none'}); remove it or check its spelling.`,
      ...at(input),
      details: { known: Object.keys(specs) },
    });
  }

  for (const [input, spec] of Object.entries(specs)) {
    const value = inputs[input];
    if (!isWidgetSpec(spec)) {
      if (value === undefined || value === null) {
        if (!spec.optional) issues.push({ code: 'input_missing', message: `${label}: input "${input}" is not connected; connect a ${spec.type} output to it.`, ...at(input), details: { expected: spec.type } });
        continue;
      }
      const link = asLink(value);
      if (!link) {
        issues.push(
          Array.isArray(value)
            ? { code: 'link_invalid', message: `${label}: input "${input}" has a malformed link ${JSON.stringify(value)}; a link is ["<node id>", <output index>].`, ...at(input), details: { received: value, reason: 'malformed' } }
            : { code: 'value_invalid', message: `${label}: input "${input}" takes a ${spec.type} link, not a value; connect a node's ${spec.type} output to it.`, ...at(input), details: { reason: 'expected_link', expected: spec.type, received: value } },
        );
        continue;
      }
      const source = checkLinkSource(graph, registry, id, type, input, link, issues);
      if (source && source.socket !== spec.type) {
        issues.push({
          code: 'type_mismatch',
          message: `${label}: input "${input}" takes ${spec.type}, but ${nodeLabel(source.type, link[0])} output ${link[1]} ("${source.name}") is ${source.socket}; connect a ${spec.type} output.`,
          ...at(input),
          details: { expected: spec.type, received: source.socket, from: link },
        });
      }
      links[input] = link;
      continue;
    }

    if (value === undefined) {
      if (spec.default !== undefined) widgets[input] = spec.default;
      else if (!spec.optional) issues.push({ code: 'input_missing', message: `${label}: widget "${input}" has no value and no default; set it.`, ...at(input), details: { expected: widgetTypeName(spec) } });
      continue;
    }
    const link = asLink(value);
    if (link) {
      const source = checkLinkSource(graph, registry, id, type, input, link, issues);
      issues.push({
        code: 'type_mismatch',
        message: `${label}: "${input}" is a ${widgetTypeName(spec)} widget and takes a value, not a link; set a value instead.`,
        ...at(input),
        details: { expected: widgetTypeName(spec), received: source?.socket ?? 'link', from: link },
      });
      continue;
    }
    const problem = checkWidget(spec, value, env, label, input);
    if (problem) issues.push({ ...problem, ...at(input) });
    else widgets[input] = value;
  }
  return { id, type, definition, widgets, links };
}

/**
 * The node type's own check of its widget values together (definition.checkWidgets), for a node whose
 * inputs all checked out. A check that throws is reported on the node rather than escaping.
 */
function checkWidgetsTogether(node: ResolvedNode, env: HostServices): Issue[] {
  if (!node.definition.checkWidgets) return [];
  const label = nodeLabel(node.type, node.id);
  try {
    return node.definition.checkWidgets(node.widgets, env).map((problem) => ({
      code: 'value_out_of_range' as const,
      message: `${label}: ${problem.message}`,
      nodeId: node.id,
      nodeType: node.type,
      input: problem.input,
      details: { received: node.widgets[problem.input], ...problem.details },
    }));
  } catch (error) {
    return [{ code: 'node_failed', message: `${label}: checking its inputs failed: ${(error as Error)?.message ?? String(error)}`, nodeId: node.id, nodeType: node.type, details: { phase: 'checkWidgets' } }];
  }
}

/** Checks that a link's node and output exist; returns the output's socket type and name. */
function checkLinkSource(
  graph: ExecutionGraph,
  registry: NodeRegistry,
  id: string,
  type: string,
  input: string,
  link: Link,
  issues: Issue[],
): { type: string; name: string; socket: SocketType } | undefined {
  const [fromId, outputIndex] = link;
  const from = graph[fromId];
  if (!from || !Object.hasOwn(graph, fromId)) {
    issues.push(linkMissingNodeIssue(id, type, input, link));
    return undefined;
  }
  const definition = registry.get(from.class_type);
  if (!definition) return undefined; // reported as node_type_unknown on that node
  const names = outputNames(definition);
  if (outputIndex >= names.length) {
    issues.push({
      code: 'link_invalid',
      message: `${nodeLabel(type, id)}: input "${input}" links to output ${outputIndex} of ${nodeLabel(from.class_type, fromId)}, which has ${names.length} output${names.length === 1 ? '' : 's'} (${names.join(', ') || 'none'}).`,
      nodeId: id,
      nodeType: type,
      input,
      details: { from: link, reason: 'output_missing', outputs: names },
    });
    return undefined;
  }
  const name = names[outputIndex];
  return { type: from.class_type, name, socket: (definition.outputs as OutputSpecs)[name].type };
}

function linkMissingNodeIssue(id: string, type: string, input: string, link: Link): Issue {
  return {
    code: 'link_invalid',
    message: `${nodeLabel(type, id)}: input "${input}" links to node #${link[0]}, which is not in the workflow; reconnect it.`,
    nodeId: id,
    nodeType: type,
    input,
    details: { from: link, reason: 'node_missing' },
  };
}

function unknownTypeIssue(registry: NodeRegistry, id: string, type: string): Issue {
  const lower = type.toLowerCase();
  const similar = registry.types().filter((t) => t.toLowerCase() === lower || t.toLowerCase().endsWith(`/${lower}`));
  const hint = similar.length > 0 ? ` Did you mean ${similar.map((t) => `"${t}"`).join(' or ')}?` : ' Is the node pack that adds it installed?';
  return { code: 'node_type_unknown', message: `Node #${id}: node type "${type}" is unknown.${hint}`, nodeId: id, nodeType: type, details: { similar } };
}

const WIDGET_TYPE_NAMES = { int: 'INT', float: 'FLOAT', text: 'STRING', boolean: 'BOOLEAN', choice: 'COMBO' } as const;

function widgetTypeName(spec: WidgetSpec): string {
  return WIDGET_TYPE_NAMES[spec.kind];
}

// zod schemas of static widgets are built once per spec (a 10,000-node workflow reuses them).
const schemaCache = new WeakMap<WidgetSpec, z.ZodType>();

function schemaOf(spec: WidgetSpec, env: HostServices): z.ZodType {
  if (spec.kind === 'choice' && typeof spec.options === 'function') return widgetSchema(spec, env);
  let schema = schemaCache.get(spec);
  if (!schema) schemaCache.set(spec, (schema = widgetSchema(spec, env)));
  return schema;
}

/** The issue (without location) for a widget value its zod schema refuses, or null when it is fine. */
function checkWidget(spec: WidgetSpec, value: unknown, env: HostServices, label: string, input: string): Omit<Issue, 'nodeId' | 'nodeType' | 'input'> | null {
  const result = schemaOf(spec, env).safeParse(value);
  if (result.success) return null;
  const zodIssue = result.error.issues[0];
  const expected = widgetTypeName(spec);
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  if (spec.kind === 'choice') {
    const { options, error } = resolveOptions(spec, env);
    const list = options.length > 0 ? options.slice(0, 10).map((o) => `"${o}"`).join(', ') + (options.length > 10 ? ', ...' : '') : '(none available)';
    return {
      code: 'value_invalid',
      message: `${label}: "${input}" is ${shown}, which is not one of the options: ${list}.${error ? ` The options could not be listed: ${error}` : ''}`,
      details: { reason: typeof value === 'string' ? 'not_in_options' : 'wrong_type', expected: 'COMBO', received: value, options: [...options], ...(error ? { optionsError: error } : {}) },
    };
  }
  if (zodIssue.code === 'too_small' || zodIssue.code === 'too_big') {
    const range = spec.kind === 'int' || spec.kind === 'float' ? { min: spec.min, max: spec.max } : {};
    const bound = zodIssue.code === 'too_small' ? `below the minimum ${range.min}` : `above the maximum ${range.max}`;
    return { code: 'value_out_of_range', message: `${label}: "${input}" is ${shown}, ${bound}; use a value in [${range.min ?? '-inf'}, ${range.max ?? 'inf'}].`, details: { ...range, received: value } };
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { code: 'value_invalid', message: `${label}: "${input}" is ${shown}; it must be a finite number.`, details: { reason: 'not_finite', expected, received: String(value) } };
  }
  if (typeof value === 'number' && spec.kind === 'int') {
    return { code: 'value_invalid', message: `${label}: "${input}" is ${shown}; it must be a whole number.`, details: { reason: 'not_integer', expected, received: value } };
  }
  return {
    code: 'value_invalid',
    message: `${label}: "${input}" is ${Array.isArray(value) ? 'a list' : value === null ? 'null' : `a ${typeof value}`}; it takes a ${expected} value.`,
    details: { reason: 'wrong_type', expected, received: value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value },
  };
}
