/**
 * ComfyUI's UI format -> the execution form, as ComfyUI's frontend does when it queues (graphToPrompt):
 * - widgets_values become inputs by the node type's widget order (the seed's control value skipped);
 * - a link into a converted widget sets it; a link wins over the widget's value;
 * - Reroute nodes pass their input on, PrimitiveNode and the Primitive* nodes give their value to what
 *   they feed; Note and MarkdownNote are left out;
 * - muted nodes (mode 2) are left out and so are their links; a bypassed node (mode 4) passes to each
 *   consumer its input of the consumer's type (the input at the same index first, then the first one);
 * - subgraph instances are flattened: inner node `7` of instance `12` runs as `12:7` (ComfyUI's ids).
 * Native reroutes (`parentId`) are drawing only: the link still joins its two ends.
 *
 * @example
 *   const { graph, issues } = uiToExecution(workflow, registry);   // registry.nodeSpec(type): the widget order
 */
import type { NodeSpec } from '../catalog.ts';
import { type Issue, nodeLabel } from '../issues.ts';
import type { ExecutionGraph } from './execution.ts';
import { NODE_MODE, SUBGRAPH_INPUT_NODE, SUBGRAPH_OUTPUT_NODE, type UiLink, uiLinks, type UiNode, type UiSubgraph, type UiWorkflow } from './ui.ts';
import { widgetOrder, widgetsFromValues } from './ui-widgets.ts';

/** What the converter needs to know of node types: each one's inputs in order (the registry and the editor's catalog both give it). */
export interface NodeSpecs {
  nodeSpec(type: string): NodeSpec | undefined;
}

/** Frontend-only node types: they never reach the server. */
export const NOTE_TYPES = new Set(['Note', 'MarkdownNote']);
export const REROUTE_TYPE = 'Reroute';
export const PRIMITIVE_TYPE = 'PrimitiveNode';
/** ComfyUI's backend primitives (comfy_extras/nodes_primitive.py): inlined into what they feed when latentflow has no such type. */
export const PRIMITIVE_VALUE_TYPES = new Set(['PrimitiveInt', 'PrimitiveFloat', 'PrimitiveString', 'PrimitiveStringMultiline', 'PrimitiveBoolean']);

/** Where an input's value comes from once virtual nodes are resolved. */
type Source = { kind: 'node'; id: string; slot: number } | { kind: 'value'; value: unknown } | { kind: 'none' };
const NONE: Source = { kind: 'none' };

interface Scope {
  /** Prefix of execution ids in this scope ("" at the top, "12:" inside instance 12). */
  prefix: string;
  nodes: Map<string, UiNode>;
  links: Map<number, UiLink>;
  /** Inside a subgraph: the instance, its definition and the scope it sits in. */
  boundary?: { instance: UiNode; definition: UiSubgraph; outer: Scope };
  depth: number;
}

/** Hops one input may take through reroutes, bypassed nodes and subgraph boundaries (a loop stops here, not at the stack limit). */
const MAX_HOPS = 1000;
const MAX_SUBGRAPH_DEPTH = 32;

export function uiToExecution(workflow: UiWorkflow, specs?: NodeSpecs): { graph: ExecutionGraph; issues: Issue[] } {
  const graph: ExecutionGraph = {};
  const issues: Issue[] = [];
  const definitions = new Map((workflow.definitions?.subgraphs ?? []).map((s) => [s.id, s]));
  const known = (type: string) => specs?.nodeSpec(type) !== undefined;

  const scopeOf = (g: { nodes: UiNode[]; links?: UiWorkflow['links']; extra?: UiWorkflow['extra'] }, prefix: string, depth: number, boundary?: Scope['boundary']): Scope => {
    const nodes = new Map<string, UiNode>();
    for (const node of g.nodes) {
      const id = String(node.id);
      if (nodes.has(id)) issues.push({ code: 'workflow_invalid', message: `Workflow: two nodes have id "${prefix}${id}"; give each node its own id.`, nodeId: prefix + id, details: { reason: 'duplicate_id' } });
      else nodes.set(id, node);
    }
    return { prefix, nodes, links: uiLinks(g), depth, ...(boundary ? { boundary } : {}) };
  };

  const label = (scope: Scope, node: UiNode) => nodeLabel(node.type, scope.prefix + String(node.id));
  let hops = 0;

  /** What output `slot` of node `id` in `scope` carries to an input of type `want`. */
  function fromOutput(scope: Scope, id: string, slot: number, want: string): Source {
    if (++hops > MAX_HOPS) return NONE;
    if (id === String(SUBGRAPH_INPUT_NODE) && scope.boundary) return fromInstanceInput(scope.boundary, slot, want);
    const node = scope.nodes.get(id);
    if (!node) return { kind: 'node', id: scope.prefix + id, slot }; // validateGraph names the missing node
    if (node.mode === NODE_MODE.never) return NONE;
    const inputs = node.inputs ?? [];
    if (node.mode === NODE_MODE.bypass) {
      const outputType = node.outputs?.[slot]?.type ?? want;
      const candidates = [slot, ...inputs.keys()];
      const index = candidates.find((i) => inputs[i] !== undefined && typesMatch(inputs[i].type, want === '*' ? outputType : want));
      return index === undefined ? NONE : fromInput(scope, node, index, want);
    }
    if (node.type === REROUTE_TYPE) return fromInput(scope, node, 0, want);
    if (node.type === PRIMITIVE_TYPE) return { kind: 'value', value: firstValue(node) };
    if (PRIMITIVE_VALUE_TYPES.has(node.type) && !known(node.type)) {
      const linked = inputs.findIndex((i) => (i.widget?.name ?? i.name) === 'value' && i.link != null);
      return linked >= 0 ? fromInput(scope, node, linked, want) : { kind: 'value', value: firstValue(node) };
    }
    const definition = definitions.get(node.type);
    if (definition) {
      const inner = instanceScope(scope, node, definition);
      if (!inner) return NONE;
      const link = [...inner.links.values()].find((l) => l.targetId === String(SUBGRAPH_OUTPUT_NODE) && l.targetSlot === slot);
      return link ? fromOutput(inner, link.originId, link.originSlot, want) : NONE;
    }
    return { kind: 'node', id: scope.prefix + id, slot };
  }

  /** What input `index` of `node` receives. */
  function fromInput(scope: Scope, node: UiNode, index: number, want: string): Source {
    const input = node.inputs?.[index];
    if (!input || input.link == null) return NONE;
    return fromLink(scope, node, input.widget?.name ?? input.name, input.link, want);
  }

  function fromLink(scope: Scope, node: UiNode, inputName: string, linkId: number, want: string): Source {
    const link = scope.links.get(linkId);
    if (!link) {
      issues.push({
        code: 'link_invalid',
        message: `${label(scope, node)}: input "${inputName}" uses link ${linkId}, which is not in the workflow's links; connect the input again.`,
        nodeId: scope.prefix + String(node.id),
        nodeType: node.type,
        input: inputName,
        details: { link: linkId, reason: 'link_missing' },
      });
      return NONE;
    }
    return fromOutput(scope, link.originId, link.originSlot, want);
  }

  /** Subgraph input `slot` of an instance: its link outside, else its promoted widget value. */
  function fromInstanceInput(boundary: NonNullable<Scope['boundary']>, slot: number, want: string): Source {
    const { instance, definition, outer } = boundary;
    const name = definition.inputs[slot]?.name;
    const inputs = instance.inputs ?? [];
    const index = inputs.findIndex((i) => i.name === name);
    const at = index >= 0 ? index : slot;
    if (inputs[at]?.link != null) return fromInput(outer, instance, at, want);
    // Promoted widgets: the instance's widgets_values in the order of its widget inputs.
    const values = instance.widgets_values;
    const widgetInputs = inputs.filter((i) => i.widget !== undefined);
    const w = widgetInputs.findIndex((i) => i.name === name);
    if (Array.isArray(values) && w >= 0 && w < values.length) return { kind: 'value', value: values[w] };
    return NONE;
  }

  function instanceScope(scope: Scope, instance: UiNode, definition: UiSubgraph): Scope | undefined {
    if (scope.depth >= MAX_SUBGRAPH_DEPTH) {
      issues.push({
        code: 'cycle',
        message: `${label(scope, instance)}: subgraphs nest deeper than ${MAX_SUBGRAPH_DEPTH} levels (does "${definition.name}" contain itself?); remove the loop.`,
        nodeId: scope.prefix + String(instance.id),
        nodeType: instance.type,
        details: { types: [definition.id] },
      });
      return undefined;
    }
    return scopeOf(definition, `${scope.prefix}${String(instance.id)}:`, scope.depth + 1, { instance, definition, outer: scope });
  }

  function emit(scope: Scope, node: UiNode) {
    const id = scope.prefix + String(node.id);
    const spec = specs?.nodeSpec(node.type);
    const inputs: Record<string, unknown> = {};
    if (spec) Object.assign(inputs, widgetsFromValues(spec, node.widgets_values).widgets);
    else if (node.widgets_values && !Array.isArray(node.widgets_values)) Object.assign(inputs, node.widgets_values);
    const widgetNames = new Set(spec ? widgetOrder(spec).map((w) => w.name) : []);
    for (const input of node.inputs ?? []) {
      if (input.link == null) continue;
      const name = input.widget?.name ?? input.name;
      hops = 0;
      const source = fromLink(scope, node, name, input.link, input.type);
      if (hops > MAX_HOPS) {
        issues.push({
          code: 'cycle',
          message: `${label(scope, node)}: input "${name}" leads into a loop of reroutes, bypassed nodes or subgraph boundaries; break the loop.`,
          nodeId: id,
          nodeType: node.type,
          input: name,
          details: { hops },
        });
      }
      if (source.kind === 'node') inputs[name] = [source.id, source.slot];
      else if (source.kind === 'value') inputs[name] = source.value;
      else if (!widgetNames.has(name)) delete inputs[name];
    }
    graph[id] = { class_type: node.type, inputs, ...(node.title !== undefined ? { _meta: { title: node.title } } : {}) };
  }

  function walk(scope: Scope) {
    for (const node of scope.nodes.values()) {
      if (node.mode === NODE_MODE.never || node.mode === NODE_MODE.bypass) continue;
      if (NOTE_TYPES.has(node.type) || node.type === REROUTE_TYPE || node.type === PRIMITIVE_TYPE) continue;
      if (PRIMITIVE_VALUE_TYPES.has(node.type) && !known(node.type)) continue;
      const definition = definitions.get(node.type);
      if (definition) {
        const inner = instanceScope(scope, node, definition);
        if (inner) walk(inner);
        continue;
      }
      emit(scope, node);
    }
  }

  walk(scopeOf(workflow, '', 0));
  return { graph, issues };
}

/** ComfyUI's type match: equal, or either side `*` (any), or one of a comma-separated list. */
function typesMatch(a: string, b: string): boolean {
  if (a === '*' || b === '*' || a === b) return true;
  const as = a.split(',');
  return b.split(',').some((t) => as.includes(t));
}

function firstValue(node: UiNode): unknown {
  const values = node.widgets_values;
  return Array.isArray(values) ? values[0] : values?.value;
}
