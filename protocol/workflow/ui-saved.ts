/**
 * latentflow's saved form <-> ComfyUI's UI format: what the editor exports (a file ComfyUI opens) and
 * how the editor opens ComfyUI's files. The editor draws real nodes only: opening a UI file resolves
 * reroutes, primitives, notes, muted and bypassed nodes and subgraphs as queueing does (ui-execution.ts)
 * and keeps each node's place; exporting writes widgets_values in widget order (seed controls "fixed",
 * so the file makes the same picture), litegraph inputs/outputs and the links array, version 0.4.
 *
 * @example
 *   download('txt2img.json', JSON.stringify(savedToUi(workflow, catalogSpecs)));
 *   const saved = uiToSaved(JSON.parse(text), catalogSpecs, 'from ComfyUI');
 */
import { isWidgetInput } from '../catalog.ts';
import { asLink } from '../link.ts';
import { executionToSaved } from './convert.ts';
import type { ExecutionGraph } from './execution.ts';
import type { SavedWorkflow } from './saved.ts';
import type { UiWorkflow } from './ui.ts';
import { type NodeSpecs, uiToExecution } from './ui-execution.ts';
import { valuesFromWidgets } from './ui-widgets.ts';

/** ComfyUI's UI format -> the saved form (what the editor draws); nodes inside a subgraph sit where their instance was. */
export function uiToSaved(ui: UiWorkflow, specs: NodeSpecs | undefined, name: string): { workflow: SavedWorkflow; issues: ReturnType<typeof uiToExecution>['issues'] } {
  const { graph, issues } = uiToExecution(ui, specs);
  const pos = new Map(ui.nodes.map((n) => [String(n.id), { x: n.pos[0], y: n.pos[1] }]));
  const layout: Record<string, { x: number; y: number }> = {};
  let shift = 0;
  for (const id of Object.keys(graph)) {
    const own = pos.get(id);
    const instance = pos.get(id.split(':')[0]);
    layout[id] = own ?? (instance ? { x: instance.x + 40 * shift, y: instance.y + 40 * shift++ } : { x: 0, y: 0 });
  }
  const workflow = executionToSaved(graph, { name, layout });
  const viewport = ui.extra?.ds ? { x: ui.extra.ds.offset[0], y: ui.extra.ds.offset[1], zoom: ui.extra.ds.scale } : undefined;
  if (viewport) workflow.extra = { viewport };
  return { workflow, issues };
}

/** The saved form -> ComfyUI's UI format 0.4. Non-numeric node ids get numbers (ComfyUI's are integers). */
export function savedToUi(saved: SavedWorkflow, specs: NodeSpecs): UiWorkflow {
  const ids = new Map<string, number>();
  let next = 1 + Math.max(0, ...saved.nodes.map((n) => (/^\d+$/.test(n.id) ? Number(n.id) : 0)));
  for (const node of saved.nodes) ids.set(node.id, /^\d+$/.test(node.id) ? Number(node.id) : next++);
  const links: Array<[number, number, number, number, number, string]> = [];
  const incoming = new Map<string, Map<string, number>>();
  const outgoing = new Map<string, Map<number, number[]>>();
  const typeOfOutput = (nodeId: string, output: number) => {
    const node = saved.nodes.find((n) => n.id === nodeId);
    return (node && specs.nodeSpec(node.type)?.outputs[output]?.type) ?? '*';
  };
  for (const edge of saved.edges) {
    const from = ids.get(edge.from.node);
    const to = ids.get(edge.to.node);
    if (from === undefined || to === undefined) continue;
    const id = links.length + 1;
    links.push([id, from, edge.from.output, to, -1, typeOfOutput(edge.from.node, edge.from.output)]);
    if (!incoming.has(edge.to.node)) incoming.set(edge.to.node, new Map());
    incoming.get(edge.to.node)!.set(edge.to.input, id);
    if (!outgoing.has(edge.from.node)) outgoing.set(edge.from.node, new Map());
    const outs = outgoing.get(edge.from.node)!;
    outs.set(edge.from.output, [...(outs.get(edge.from.output) ?? []), id]);
  }
  const nodes = saved.nodes.map((node, order) => {
    const spec = specs.nodeSpec(node.type);
    const linked = incoming.get(node.id) ?? new Map<string, number>();
    const inputs: Array<Record<string, unknown>> = [];
    for (const input of spec?.inputs ?? []) {
      const link = linked.get(input.name);
      if (!isWidgetInput(input)) inputs.push({ name: input.name, type: input.type, link: link ?? null });
      else if (link !== undefined) inputs.push({ name: input.name, type: input.kind === 'choice' ? 'COMBO' : input.kind === 'text' ? 'STRING' : input.kind.toUpperCase(), link, widget: { name: input.name } });
    }
    inputs.forEach((input, slot) => {
      if (input.link != null) links[(input.link as number) - 1][4] = slot;
    });
    const outputs = (spec?.outputs ?? []).map((o) => ({ name: o.name, type: o.type, links: outgoing.get(node.id)?.get(o.index) ?? [], slot_index: o.index }));
    const widgets = Object.fromEntries(Object.entries(node.widgets).filter(([, v]) => !asLink(v)));
    return {
      id: ids.get(node.id)!,
      type: node.type,
      pos: [node.position.x, node.position.y] as [number, number],
      size: [node.size?.width ?? 320, node.size?.height ?? 120] as [number, number],
      flags: {},
      order,
      mode: 0,
      inputs,
      outputs,
      properties: { 'Node name for S&R': node.type, ...(node.version !== undefined ? { latentflow_version: node.version } : {}) },
      widgets_values: spec ? valuesFromWidgets(spec, widgets) : Object.values(widgets),
      ...(node.title !== undefined ? { title: node.title } : {}),
    };
  });
  return {
    last_node_id: Math.max(0, ...nodes.map((n) => n.id)),
    last_link_id: links.length,
    nodes,
    links: links.filter((l) => l[4] >= 0),
    groups: [],
    config: {},
    extra: { ds: { scale: 1, offset: [0, 0] }, latentflow: { name: saved.name } },
    version: 0.4,
  } as unknown as UiWorkflow;
}

/** latentflow's inputs ComfyUI lacks: "Export API" leaves them out at their defaults, so ComfyUI validates the file. */
export const LATENTFLOW_ONLY_INPUTS: ReadonlySet<string> = new Set(['attention', 'weight_dtype', 'precision']);

/** The execution form without latentflow-only inputs that hold their default value. */
export function withoutDefaultExtras(graph: ExecutionGraph, specs: NodeSpecs): ExecutionGraph {
  const out: ExecutionGraph = {};
  for (const [id, node] of Object.entries(graph)) {
    const spec = specs.nodeSpec(node.class_type);
    const inputs = { ...node.inputs };
    for (const input of spec?.inputs ?? []) {
      if (LATENTFLOW_ONLY_INPUTS.has(input.name) && isWidgetInput(input) && input.default !== undefined && inputs[input.name] === input.default) delete inputs[input.name];
    }
    out[id] = { ...node, inputs };
  }
  return out;
}
