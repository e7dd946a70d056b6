/**
 * Cutting a selection of nodes out of a workflow as a subgraph node type: what the editor's "save as
 * node" sends and what nodes/packs/save.ts exportSubgraph gives.
 *
 * - Inputs: one socket input per distinct outside output feeding the selection (every selected input it
 *   fed becomes a target), then one per required socket of a selected node that nothing feeds, then the
 *   widgets asked for (their current values become defaults; a COMBO inherits its options from its
 *   target, so a dynamic list such as the checkpoints stays live).
 * - Outputs: the selection's outputs used outside it, or, when nothing outside uses it, every output
 *   not used inside it.
 * - The fragment: the selected nodes without the links from outside, in the form given (a saved form
 *   keeps its positions, moved so the top-left node is at 0,0).
 * Nodes are visited in id order, inputs in their node type's order.
 *
 * @example
 *   const cut = cutSubgraph(parseWorkflow(json), ['3', '8'], { type: 'SampleDecode', widgets: [{ node: '3', input: 'seed' }] }, (t) => catalog.get(t));
 *   if (cut.subgraph) await api.saveSubgraph(cut.subgraph); else show(cut.problems);
 */
import { type NodeSpec, WIDGET_TYPE_OF_KIND } from './catalog.ts';
import type { SubgraphInputJson, SubgraphJson, SubgraphOutputJson } from './subgraph.ts';
import { asLink } from './link.ts';
import { executionToSaved, type NodeVersions } from './workflow/convert.ts';
import { compareNodeIds, type ExecutionGraph } from './workflow/execution.ts';
import type { SavedWorkflow } from './workflow/saved.ts';

export interface CutOptions {
  /** The new node type's name (no namespace: the pack adds it). */
  type: string;
  displayName?: string;
  description?: string;
  category?: string;
  /** Widgets of selected nodes to expose as inputs (`name` defaults to the input's); linked ones are skipped. */
  widgets?: Array<{ node: string; input: string; name?: string }>;
}

export interface CutResult {
  /** The subgraph, when the selection can be cut. */
  subgraph?: SubgraphJson;
  /** Why it cannot (unknown ids or types, a widget that is not one). */
  problems: string[];
  /** Links from the selection to nodes outside it (0: nothing outside uses the selection). */
  linksOut: number;
}

/** A valid input name from any name: non-identifier characters become `_`, then `_2`, `_3`... until unused. */
function uniqueName(name: string, taken: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_]/g, '_').replace(/^([^A-Za-z_])/, '_$1') || 'input';
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
  taken.add(candidate);
  return candidate;
}

/**
 * The subgraph of the nodes `selection` of a parsed workflow. `nodeTypes` describes each node type
 * (the catalog); `versions`, when given, records each inner node's current type version in a saved
 * fragment (otherwise the version it was saved with is kept).
 */
export function cutSubgraph(
  workflow: { graph: ExecutionGraph; saved?: SavedWorkflow },
  selection: readonly string[],
  options: CutOptions,
  nodeTypes: (type: string) => NodeSpec | undefined,
  versions?: NodeVersions,
): CutResult {
  const { graph } = workflow;
  const fail = (problems: string[]): CutResult => ({ problems, linksOut: 0 });
  const selected = new Set(selection.map(String));
  if (selected.size === 0) return fail(['the selection is empty']);
  const missing = [...selected].filter((id) => !Object.hasOwn(graph, id));
  if (missing.length > 0) return fail(missing.map((id) => `node "${id}" is not in the workflow`));
  const unknown = [...selected].filter((id) => !nodeTypes(graph[id].class_type));
  if (unknown.length > 0) return fail(unknown.map((id) => `node "${id}" has type "${graph[id].class_type}", which is not registered`));

  const ids = [...selected].sort(compareNodeIds);
  const specOf = (id: string) => nodeTypes(graph[id].class_type)!;
  const fragment: ExecutionGraph = {};
  for (const id of ids) fragment[id] = { ...graph[id], inputs: { ...graph[id].inputs } };
  const problems: string[] = [];
  const inputs: SubgraphInputJson[] = [];
  const inputNames = new Set<string>();

  // Links from outside: one socket input per distinct source output.
  const inputBySource = new Map<string, SubgraphInputJson>();
  for (const id of ids) {
    const spec = specOf(id);
    const known = spec.inputs.map((i) => i.name);
    const order = [...known, ...Object.keys(graph[id].inputs).filter((name) => !known.includes(name))];
    for (const name of order) {
      const link = asLink(graph[id].inputs[name]);
      if (!link || selected.has(link[0])) continue;
      const input = spec.inputs.find((i) => i.name === name);
      if (input?.kind !== 'socket') {
        problems.push(`node "${id}" input "${name}" is linked but is not a socket of ${spec.type}`);
        continue;
      }
      const key = `${link[0]}\u0000${link[1]}`;
      let declared = inputBySource.get(key);
      if (!declared) {
        declared = { name: uniqueName(name, inputNames), type: input.type as SubgraphInputJson['type'], targets: [] };
        inputBySource.set(key, declared);
        inputs.push(declared);
      }
      declared.targets.push({ node: id, input: name });
      delete fragment[id].inputs[name];
    }
  }
  // Required sockets nothing feeds.
  for (const id of ids) {
    for (const input of specOf(id).inputs) {
      if (input.kind !== 'socket' || input.optional || asLink(graph[id].inputs[input.name])) continue;
      inputs.push({ name: uniqueName(input.name, inputNames), type: input.type as SubgraphInputJson['type'], targets: [{ node: id, input: input.name }] });
    }
  }
  // Widgets asked for.
  for (const widget of options.widgets ?? []) {
    const id = String(widget.node);
    if (!selected.has(id)) {
      problems.push(`widget "${widget.input}" of node "${id}" is not in the selection`);
      continue;
    }
    const spec = specOf(id);
    const input = spec.inputs.find((i) => i.name === widget.input);
    if (!input || input.kind === 'socket') {
      problems.push(`node "${id}" (${spec.type}) has no widget "${widget.input}"`);
      continue;
    }
    const current = graph[id].inputs[widget.input];
    if (asLink(current)) continue;
    const value = current ?? input.default;
    inputs.push({
      name: uniqueName(widget.name ?? widget.input, inputNames),
      type: WIDGET_TYPE_OF_KIND[input.kind],
      ...(input.tooltip ? { description: input.tooltip } : {}),
      ...(value !== undefined ? { default: value } : {}),
      ...((input.kind === 'int' || input.kind === 'float') && input.min !== undefined ? { min: input.min } : {}),
      ...((input.kind === 'int' || input.kind === 'float') && input.max !== undefined ? { max: input.max } : {}),
      ...((input.kind === 'int' || input.kind === 'float') && input.step !== undefined ? { step: input.step } : {}),
      ...(input.kind === 'text' && input.multiline ? { multiline: true } : {}),
      targets: [{ node: id, input: widget.input }],
    });
  }

  // Links going out: one output per distinct selected source output.
  const outputs: SubgraphOutputJson[] = [];
  const outputNames = new Set<string>();
  const outputSources = new Set<string>();
  const addOutput = (id: string, index: number): boolean => {
    const key = `${id}\u0000${index}`;
    if (outputSources.has(key)) return true;
    const output = specOf(id).outputs[index];
    if (!output) return false;
    outputSources.add(key);
    outputs.push({ name: uniqueName(output.name, outputNames), type: output.type as SubgraphOutputJson['type'], from: { node: id, output: index } });
    return true;
  };
  let linksOut = 0;
  for (const consumer of Object.keys(graph).sort(compareNodeIds)) {
    if (selected.has(consumer)) continue;
    for (const value of Object.values(graph[consumer].inputs)) {
      const link = asLink(value);
      if (!link || !selected.has(link[0])) continue;
      linksOut++;
      if (!addOutput(link[0], link[1])) problems.push(`node "${consumer}" links to output ${link[1]} of node "${link[0]}", which does not have it`);
    }
  }
  if (linksOut === 0) {
    const usedInside = new Set<string>();
    for (const id of ids) for (const value of Object.values(graph[id].inputs)) {
      const link = asLink(value);
      if (link && selected.has(link[0])) usedInside.add(`${link[0]}\u0000${link[1]}`);
    }
    for (const id of ids) for (const output of specOf(id).outputs) if (!usedInside.has(`${id}\u0000${output.index}`)) addOutput(id, output.index);
  }
  if (problems.length > 0) return { problems, linksOut };

  const outputNode = ids.some((id) => specOf(id).outputNode);
  const subgraph: SubgraphJson = {
    type: options.type,
    ...(options.displayName !== undefined ? { displayName: options.displayName } : {}),
    ...(options.description !== undefined ? { description: options.description } : {}),
    ...(options.category !== undefined ? { category: options.category } : {}),
    ...(outputNode ? { outputNode: true } : {}),
    inputs,
    outputs,
    workflow: workflow.saved ? savedFragment(fragment, workflow.saved, options.type, versions) : fragment,
  };
  return { subgraph, problems: [], linksOut };
}

/** The fragment in saved form, keeping the saved positions (moved so the top-left node is at 0,0). */
function savedFragment(fragment: ExecutionGraph, saved: SavedWorkflow, name: string, versions: NodeVersions | undefined): SavedWorkflow {
  const kept = saved.nodes.filter((n) => Object.hasOwn(fragment, n.id));
  const left = Math.min(...kept.map((n) => n.position.x));
  const top = Math.min(...kept.map((n) => n.position.y));
  const layout = Object.fromEntries(kept.map((n) => [n.id, { x: n.position.x - left, y: n.position.y - top }]));
  const out = executionToSaved(fragment, { name, layout, ...(versions ? { versions } : {}) });
  const savedVersion = new Map(kept.map((n) => [n.id, n.version]));
  for (const node of out.nodes) {
    const version = savedVersion.get(node.id);
    if (node.version === undefined && version !== undefined) node.version = version;
  }
  return out;
}
