/**
 * Subgraphs: a saved workflow fragment exposed as ONE node type (its JSON: protocol/subgraph.ts). No code
 * runs from it: before validation the runner replaces every subgraph node by its inner nodes
 * (expand.ts), so caching, events and errors work per inner node. This file checks a subgraph's JSON
 * and makes the node definition it appears as.
 *
 * Inner node types are looked up as written first, then inside the subgraph's own pack
 * (`Other` -> `<pack>/Other`), so a pack's subgraphs can use each other and the pack's code nodes.
 */
import {
  asLink,
  type ExecutionGraph,
  parseWorkflow,
  type SubgraphInputJson,
  type SubgraphJson,
  subgraphSchema,
} from '../../protocol/index.ts';
import type { NodeRegistry } from '../registry.ts';
import {
  type AnyNodeDefinition,
  boolean,
  checkDefinition,
  choice,
  float,
  type InputSpec,
  int,
  isSocketType,
  resolveOptions,
  socket,
  type SocketSpec,
  text,
} from '../schema.ts';

// ---------------------------------------------------------------------------------------------------
// A checked subgraph and its node definition

/** A subgraph that passed checkSubgraph: its JSON (normalised) and the fragment in execution form. */
export interface Subgraph {
  /** The pack it belongs to (inner types are also looked up as `<pack>/<type>`). */
  pack: string;
  json: SubgraphJson;
  graph: ExecutionGraph;
}

const SUBGRAPH = Symbol.for('latentflow.subgraph');

/** The subgraph behind a node definition, or undefined for a code node. */
export function subgraphOf(definition: AnyNodeDefinition | undefined): Subgraph | undefined {
  return definition ? ((definition as unknown as Record<symbol, Subgraph | undefined>)[SUBGRAPH] ?? undefined) : undefined;
}

/** The registered type an inner node's `class_type` means: as written, else the pack's own `<pack>/<type>`. */
export function resolveInnerType(registry: NodeRegistry, pack: string, type: string): string {
  if (registry.has(type) || type.includes('/')) return type;
  const local = `${pack}/${type}`;
  return registry.has(local) ? local : type;
}

/**
 * Checks one subgraph's JSON on its own (no registry): shape, the fragment parses, every link stays
 * inside it, every target and output source is one of its nodes, no inner input is fed twice, and the
 * declared inputs make a valid node definition. Returns the subgraph or every problem.
 */
export function checkSubgraph(json: unknown, pack: string): { subgraph?: Subgraph; problems: string[] } {
  const parsed = subgraphSchema.safeParse(json);
  if (!parsed.success) {
    return { problems: parsed.error.issues.map((i) => `${i.path.length > 0 ? `"${i.path.join('.')}"` : 'the subgraph'} ${i.message}`) };
  }
  const spec = parsed.data as SubgraphJson;
  const problems: string[] = [];
  const fragment = parseWorkflow(spec.workflow);
  for (const issue of fragment.issues) problems.push(`workflow: ${issue.message}`);
  const graph = fragment.graph;
  if (!graph) return { problems };
  if (Object.keys(graph).length === 0) problems.push('workflow has no nodes');

  for (const [id, node] of Object.entries(graph)) {
    for (const [input, value] of Object.entries(node.inputs)) {
      const link = asLink(value);
      if (link && !Object.hasOwn(graph, link[0])) problems.push(`inner node "${id}" input "${input}" links to node "${link[0]}", which is not in the subgraph; declare a socket input targeting it instead`);
    }
  }
  const fed = new Map<string, string>();
  const seenInputs = new Set<string>();
  for (const input of spec.inputs) {
    if (seenInputs.has(input.name)) problems.push(`input "${input.name}" is declared twice`);
    seenInputs.add(input.name);
    const isNumber = input.type === 'INT' || input.type === 'FLOAT';
    if (isSocketType(input.type) && input.default !== undefined) problems.push(`input "${input.name}" is a ${input.type} socket and cannot have a default`);
    if (!isNumber && (input.min !== undefined || input.max !== undefined || input.step !== undefined)) problems.push(`input "${input.name}": min/max/step only apply to INT and FLOAT`);
    if (input.options !== undefined && input.type !== 'COMBO') problems.push(`input "${input.name}": options only apply to COMBO`);
    if (input.multiline !== undefined && input.type !== 'STRING') problems.push(`input "${input.name}": multiline only applies to STRING`);
    for (const target of input.targets) {
      const key = `${target.node}.${target.input}`;
      if (!Object.hasOwn(graph, target.node)) problems.push(`input "${input.name}" targets node "${target.node}", which is not in the workflow`);
      else if (fed.has(key)) problems.push(`inner input ${key} is fed by both "${fed.get(key)}" and "${input.name}"; keep one`);
      fed.set(key, input.name);
    }
  }
  const seenOutputs = new Set<string>();
  for (const output of spec.outputs) {
    if (seenOutputs.has(output.name)) problems.push(`output "${output.name}" is declared twice`);
    seenOutputs.add(output.name);
    if (!Object.hasOwn(graph, output.from.node)) problems.push(`output "${output.name}" comes from node "${output.from.node}", which is not in the workflow`);
  }
  if (problems.length > 0) return { problems };
  const subgraph: Subgraph = { pack, json: spec, graph };
  problems.push(...checkDefinition(subgraphDefinition(subgraph)));
  return problems.length > 0 ? { problems } : { subgraph, problems };
}

/**
 * The node definition a subgraph appears as in the catalog: its declared inputs and outputs. `registry`
 * is where a COMBO input without options finds its first target's options (evaluated lazily, so the
 * target's pack may load later). Its `run` only throws: the runner expands subgraph nodes before running.
 */
export function subgraphDefinition(subgraph: Subgraph, registry?: NodeRegistry): AnyNodeDefinition {
  const { json } = subgraph;
  const inputs: Record<string, InputSpec> = {};
  for (const input of json.inputs) inputs[input.name] = inputSpec(input, subgraph, registry);
  const outputs: Record<string, SocketSpec> = {};
  for (const output of json.outputs) outputs[output.name] = socket(output.type, output.description ? { description: output.description } : {});
  const definition: AnyNodeDefinition & { [SUBGRAPH]: Subgraph } = {
    type: json.type,
    version: json.version ?? 1,
    category: json.category ?? 'subgraphs',
    description: json.description ?? '',
    ...(json.displayName !== undefined ? { displayName: json.displayName } : {}),
    ...(json.outputNode ? { outputNode: true } : {}),
    inputs,
    outputs,
    run() {
      throw new Error(`"${json.type}" is a subgraph: the runner replaces it by its inner nodes before running; run the workflow through executeGraph`);
    },
    [SUBGRAPH]: subgraph,
  };
  return definition;
}

function inputSpec(input: SubgraphInputJson, subgraph: Subgraph, registry: NodeRegistry | undefined): InputSpec {
  const common = {
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.optional ? { optional: true } : {}),
  };
  const range = {
    ...(input.min !== undefined ? { min: input.min } : {}),
    ...(input.max !== undefined ? { max: input.max } : {}),
    ...(input.step !== undefined ? { step: input.step } : {}),
  };
  // Wrong default types are kept as they are so checkDefinition names them.
  const withDefault = input.default !== undefined ? { default: input.default as never } : {};
  switch (input.type) {
    case 'INT':
      return int({ ...common, ...range, ...withDefault });
    case 'FLOAT':
      return float({ ...common, ...range, ...withDefault });
    case 'STRING':
      return text({ ...common, ...withDefault, ...(input.multiline ? { multiline: true } : {}) });
    case 'BOOLEAN':
      return boolean({ ...common, ...withDefault });
    case 'COMBO':
      return choice(input.options ?? inheritedOptions(input, subgraph, registry), { ...common, ...withDefault });
    default:
      if (isSocketType(input.type)) return socket(input.type, common);
      throw new Error(`unreachable: input type ${String(input.type)}`);
  }
}

/** Options of a COMBO input without its own: those of its first target, looked up when asked for. */
function inheritedOptions(input: SubgraphInputJson, subgraph: Subgraph, registry: NodeRegistry | undefined) {
  return (env: Parameters<typeof resolveOptions>[1]): readonly string[] => {
    const target = input.targets[0];
    const innerType = subgraph.graph[target.node]?.class_type ?? '?';
    const type = registry ? resolveInnerType(registry, subgraph.pack, innerType) : innerType;
    const spec = registry?.get(type)?.inputs[target.input] as InputSpec | undefined;
    if (!spec) throw new Error(`its options come from ${type} input "${target.input}", which is not registered`);
    if (spec.kind !== 'choice') throw new Error(`its options come from ${type} input "${target.input}", which is not a COMBO`);
    const { options, error } = resolveOptions(spec, env);
    if (error) throw new Error(error);
    return options;
  };
}
