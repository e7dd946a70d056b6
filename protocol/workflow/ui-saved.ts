/**
 * latentflow's saved form <-> ComfyUI's UI format: how the editor opens ComfyUI's files and what it
 * saves, exports and runs (a file ComfyUI opens). The editor draws what the file draws: every node where
 * it was, with its title, colours and mode (muted, bypassed), Note and MarkdownNote nodes, Reroute nodes,
 * native reroutes (dots on links) and groups. Only what latentflow cannot draw is resolved as queueing
 * does (ui-execution.ts): primitives are written into the widgets they feed, and a workflow holding
 * subgraph instances is drawn flattened. Seed controls (control_after_generate) are read into
 * `extra.controls` and written back ("fixed" where the editor has none). Writing gives widgets_values in
 * widget order, litegraph inputs/outputs, the links array, groups and native reroutes, version 0.4; the
 * editor saves and runs that file, so it runs what ComfyUI would.
 *
 * @example
 *   download('txt2img.json', JSON.stringify(savedToUi(workflow, catalogSpecs)));
 *   const saved = uiToSaved(JSON.parse(text), catalogSpecs, 'from ComfyUI');
 */
import { isWidgetInput } from '../catalog.ts';
import { asLink } from '../link.ts';
import { executionToSaved } from './convert.ts';
import type { ExecutionGraph } from './execution.ts';
import { type SavedEdge, savedGroups, type SavedNode, savedReroutes, type SavedWorkflow } from './saved.ts';
import { NODE_MODE, uiLinks, type UiNode, type UiWorkflow } from './ui.ts';
import { type NodeSpecs, NOTE_TYPES, PRIMITIVE_TYPE, PRIMITIVE_VALUE_TYPES, REROUTE_TYPE, uiToExecution } from './ui-execution.ts';
import { valuesFromWidgets, widgetsFromValues } from './ui-widgets.ts';

/** The saved form's name of a Reroute node's one input (litegraph's is ""). */
export const REROUTE_INPUT = 'input';

type Viewport = { x: number; y: number; zoom: number };

/** ComfyUI's `extra.ds` (canvas offset, then scale) <-> the editor's viewport (screen translation and zoom). */
function viewportOf(ds: { scale: number; offset: [number, number] }): Viewport {
  return { x: ds.offset[0] * ds.scale, y: ds.offset[1] * ds.scale, zoom: ds.scale };
}

/** ComfyUI's UI format -> the saved form (what the editor draws). */
export function uiToSaved(ui: UiWorkflow, specs: NodeSpecs | undefined, name: string): { workflow: SavedWorkflow; issues: ReturnType<typeof uiToExecution>['issues'] } {
  const { graph, issues } = uiToExecution(ui, specs);
  const subgraphs = new Set((ui.definitions?.subgraphs ?? []).map((s) => s.id));
  const workflow = ui.nodes.some((n) => subgraphs.has(n.type)) ? flattenedSaved(ui, graph, name) : drawnSaved(ui, specs, name);
  const extra: Record<string, unknown> = {};
  if (ui.extra?.ds) extra.viewport = viewportOf(ui.extra.ds);
  const groups = savedGroups({ extra: { groups: ui.groups ?? [] } });
  if (groups.length > 0) extra.groups = groups;
  const reroutes = savedReroutes({ extra: { reroutes: ui.reroutes ?? ui.extra?.reroutes ?? [] } });
  if (reroutes.length > 0) extra.reroutes = reroutes;
  if (Object.keys(extra).length > 0) workflow.extra = { ...workflow.extra, ...extra };
  return { workflow, issues };
}

/** Subgraph instances: drawn as what runs (inner node `7` of instance `12` is `12:7`, near where the instance was). */
function flattenedSaved(ui: UiWorkflow, graph: ExecutionGraph, name: string): SavedWorkflow {
  const pos = new Map(ui.nodes.map((n) => [String(n.id), { x: n.pos[0], y: n.pos[1] }]));
  const layout: Record<string, { x: number; y: number }> = {};
  let shift = 0;
  for (const id of Object.keys(graph)) {
    const own = pos.get(id);
    const instance = pos.get(id.split(':')[0]);
    layout[id] = own ?? (instance ? { x: instance.x + 40 * shift, y: instance.y + 40 * shift++ } : { x: 0, y: 0 });
  }
  return executionToSaved(graph, { name, layout });
}

function firstValue(node: UiNode): unknown {
  const values = node.widgets_values;
  return Array.isArray(values) ? values[0] : values?.value;
}

/** Node for node as the file draws it; primitives (latentflow has no INT/FLOAT/STRING sockets) written into what they feed. */
function drawnSaved(ui: UiWorkflow, specs: NodeSpecs | undefined, name: string): SavedWorkflow {
  const inlined = (n: UiNode) => n.type === PRIMITIVE_TYPE || (PRIMITIVE_VALUE_TYPES.has(n.type) && specs?.nodeSpec(n.type) === undefined);
  const byId = new Map(ui.nodes.map((n) => [String(n.id), n]));
  const links = uiLinks(ui);
  const nodes: SavedNode[] = [];
  const edges: SavedEdge[] = [];
  const controls: Record<string, Record<string, string>> = {};
  for (const node of ui.nodes) {
    if (inlined(node)) continue;
    const id = String(node.id);
    const spec = specs?.nodeSpec(node.type);
    const values = node.widgets_values;
    let widgets: Record<string, unknown>;
    if (NOTE_TYPES.has(node.type)) widgets = { text: typeof firstValue(node) === 'string' ? firstValue(node) : '' };
    else if (node.type === REROUTE_TYPE) widgets = {};
    else if (spec) {
      const read = widgetsFromValues(spec, values);
      widgets = read.widgets;
      if (Object.keys(read.controls).length > 0) controls[id] = read.controls;
    }
    // A type latentflow lacks: its values kept in order ("0", "1", ... sort in that order) for the file written back.
    else widgets = Array.isArray(values) ? Object.fromEntries(values.map((v, i) => [String(i), v])) : { ...values };
    for (const input of node.inputs ?? []) {
      if (input.link == null) continue;
      const link = links.get(input.link);
      const origin = link ? byId.get(link.originId) : undefined;
      if (!link || !origin) continue; // uiToExecution names a missing link; a link from a missing node is dropped
      const inputName = node.type === REROUTE_TYPE ? REROUTE_INPUT : (input.widget?.name ?? input.name);
      if (inlined(origin)) {
        widgets[inputName] = firstValue(origin);
        continue;
      }
      edges.push({ from: { node: link.originId, output: link.originSlot }, to: { node: id, input: inputName }, ...(link.parentId !== undefined ? { parentId: link.parentId } : {}) });
    }
    const flags = node.flags && Object.keys(node.flags).length > 0 ? { flags: { ...node.flags } } : {};
    const { 'Node name for S&R': _sr, latentflow_version, ...properties } = node.properties ?? {};
    nodes.push({
      id,
      type: node.type,
      ...(typeof latentflow_version === 'number' ? { version: latentflow_version } : {}),
      ...(node.title !== undefined ? { title: node.title } : {}),
      position: { x: node.pos[0], y: node.pos[1] },
      ...(node.size ? { size: { width: node.size[0], height: node.size[1] } } : {}),
      widgets,
      ...(node.mode !== NODE_MODE.always ? { mode: node.mode } : {}),
      ...(node.color !== undefined ? { color: node.color } : {}),
      ...(node.bgcolor !== undefined ? { bgcolor: node.bgcolor } : {}),
      ...flags,
      ...(Object.keys(properties).length > 0 ? { properties } : {}),
    });
  }
  return { version: 1, name, nodes, edges, ...(Object.keys(controls).length > 0 ? { extra: { controls } } : {}) };
}

type UiLinkTuple = [number, number | string, number, number | string, number, string];

export interface SavedToUiOptions {
  /**
   * Keep node ids that are not numbers ("12:7" of a flattened subgraph) as strings, so a run's events
   * name the nodes the editor shows (latentflow reads them; default: numbered, as ComfyUI writes ids).
   */
  keepIds?: boolean;
}

/** The saved form -> ComfyUI's UI format 0.4. Non-numeric node ids get numbers (ComfyUI's are integers) unless `keepIds`. */
export function savedToUi(saved: SavedWorkflow, specs: NodeSpecs, options: SavedToUiOptions = {}): UiWorkflow {
  const ids = new Map<string, number | string>();
  let next = 1 + Math.max(0, ...saved.nodes.map((n) => (/^\d+$/.test(n.id) ? Number(n.id) : 0)));
  for (const node of saved.nodes) ids.set(node.id, /^\d+$/.test(node.id) ? Number(node.id) : options.keepIds ? node.id : next++);
  const controlsOf = (saved.extra?.controls ?? {}) as Record<string, Record<string, string> | undefined>;
  const byId = new Map(saved.nodes.map((n) => [n.id, n]));
  const feeding = new Map<string, SavedEdge>(saved.edges.map((e) => [`${e.to.node}\u0000${e.to.input}`, e]));
  /** The type an output carries: the spec's; through a Reroute, what feeds it (a loop or an open end: "*"). */
  const typeOfOutput = (nodeId: string, output: number, seen = new Set<string>()): string => {
    const node = byId.get(nodeId);
    if (!node || seen.has(nodeId)) return '*';
    if (node.type === REROUTE_TYPE) {
      const edge = feeding.get(`${nodeId}\u0000${REROUTE_INPUT}`);
      return edge ? typeOfOutput(edge.from.node, edge.from.output, seen.add(nodeId)) : '*';
    }
    return specs.nodeSpec(node.type)?.outputs[output]?.type ?? '*';
  };
  const links: UiLinkTuple[] = [];
  const linkIdOf = new Map<SavedEdge, number>();
  const incoming = new Map<string, Map<string, number>>();
  const outgoing = new Map<string, Map<number, number[]>>();
  for (const edge of saved.edges) {
    const from = ids.get(edge.from.node);
    const to = ids.get(edge.to.node);
    if (from === undefined || to === undefined) continue;
    const id = links.length + 1;
    links.push([id, from, edge.from.output, to, -1, typeOfOutput(edge.from.node, edge.from.output)]);
    linkIdOf.set(edge, id);
    if (!incoming.has(edge.to.node)) incoming.set(edge.to.node, new Map());
    incoming.get(edge.to.node)!.set(edge.to.input, id);
    if (!outgoing.has(edge.from.node)) outgoing.set(edge.from.node, new Map());
    const outs = outgoing.get(edge.from.node)!;
    outs.set(edge.from.output, [...(outs.get(edge.from.output) ?? []), id]);
  }
  const nodes = saved.nodes.map((node, order) => {
    const spec = specs.nodeSpec(node.type);
    const linked = incoming.get(node.id) ?? new Map<string, number>();
    const outs = outgoing.get(node.id) ?? new Map<number, number[]>();
    const inputs: Array<Record<string, unknown>> = [];
    let outputs: Array<Record<string, unknown>>;
    let widgetsValues: unknown[];
    let properties: Record<string, unknown> = { ...node.properties };
    const widgets = Object.fromEntries(Object.entries(node.widgets).filter(([, v]) => !asLink(v)));
    if (node.type === REROUTE_TYPE) {
      inputs.push({ name: '', type: '*', link: linked.get(REROUTE_INPUT) ?? null });
      outputs = [{ name: '', type: typeOfOutput(node.id, 0), links: outs.get(0) ?? [], slot_index: 0 }];
      widgetsValues = [];
      properties = { showOutputText: false, horizontal: false, ...properties };
    } else if (NOTE_TYPES.has(node.type)) {
      outputs = [];
      widgetsValues = [typeof node.widgets.text === 'string' ? node.widgets.text : ''];
    } else if (spec) {
      for (const input of spec.inputs) {
        const link = linked.get(input.name);
        if (!isWidgetInput(input)) inputs.push({ name: input.name, type: input.type, link: link ?? null });
        else if (link !== undefined) inputs.push({ name: input.name, type: input.kind === 'choice' ? 'COMBO' : input.kind === 'text' ? 'STRING' : input.kind.toUpperCase(), link, widget: { name: input.name } });
      }
      outputs = spec.outputs.map((o) => ({ name: o.name, type: o.type, links: outs.get(o.index) ?? [], slot_index: o.index }));
      widgetsValues = valuesFromWidgets(spec, widgets, controlsOf[node.id] ?? {});
      properties = { 'Node name for S&R': node.type, ...properties, ...(node.version !== undefined ? { latentflow_version: node.version } : {}) };
    } else {
      // A type this server lacks: the links it has, the values it had.
      for (const [name, link] of linked) inputs.push({ name, type: '*', link });
      const top = Math.max(-1, ...outs.keys());
      outputs = Array.from({ length: top + 1 }, (_, i) => ({ name: `output ${i}`, type: '*', links: outs.get(i) ?? [], slot_index: i }));
      widgetsValues = Object.values(widgets);
      properties = { 'Node name for S&R': node.type, ...properties };
    }
    inputs.forEach((input, slot) => {
      if (input.link != null) links[(input.link as number) - 1][4] = slot;
    });
    return {
      id: ids.get(node.id)!,
      type: node.type,
      pos: [node.position.x, node.position.y] as [number, number],
      size: (node.size ? [node.size.width, node.size.height] : node.type === REROUTE_TYPE ? [75, 26] : [320, 120]) as [number, number],
      flags: { ...node.flags },
      order,
      mode: node.mode ?? NODE_MODE.always,
      inputs,
      outputs,
      properties,
      widgets_values: widgetsValues,
      ...(node.title !== undefined ? { title: node.title } : {}),
      ...(node.color !== undefined ? { color: node.color } : {}),
      ...(node.bgcolor !== undefined ? { bgcolor: node.bgcolor } : {}),
    };
  });
  const groups = savedGroups(saved).map((g, i) => ({ id: i + 1, title: g.title, bounding: g.bounding, color: g.color ?? '#3f789e', font_size: g.font_size ?? 24, flags: {} }));
  const extra: Record<string, unknown> = { ds: dsOf(saved.extra?.viewport), latentflow: { name: saved.name } };
  const reroutes = savedReroutes(saved);
  if (reroutes.length > 0) {
    // Each reroute lists every link through it: a link's own reroute (parentId) and those before it.
    const parentOf = new Map(reroutes.map((r) => [r.id, r.parentId]));
    const through = new Map<number, number[]>(reroutes.map((r) => [r.id, []]));
    const linkExtensions: Array<{ id: number; parentId: number }> = [];
    for (const edge of saved.edges) {
      const linkId = linkIdOf.get(edge);
      if (linkId === undefined || edge.parentId === undefined || !through.has(edge.parentId)) continue;
      linkExtensions.push({ id: linkId, parentId: edge.parentId });
      for (let r: number | undefined = edge.parentId, hops = 0; r !== undefined && through.has(r) && hops <= reroutes.length; r = parentOf.get(r), hops++) through.get(r)!.push(linkId);
    }
    extra.reroutes = reroutes.map((r) => ({ id: r.id, ...(r.parentId !== undefined ? { parentId: r.parentId } : {}), pos: r.pos, linkIds: through.get(r.id) }));
    extra.linkExtensions = linkExtensions;
  }
  return {
    last_node_id: Math.max(0, ...nodes.map((n) => (typeof n.id === 'number' ? n.id : 0))),
    last_link_id: links.length,
    nodes,
    links: links.filter((l) => l[4] >= 0),
    groups,
    config: {},
    extra,
    version: 0.4,
  } as unknown as UiWorkflow;
}

/** The editor's viewport as ComfyUI's `extra.ds`. */
function dsOf(viewport: unknown): { scale: number; offset: [number, number] } {
  const v = viewport as Partial<Viewport> | undefined;
  if (!v || !Number.isFinite(v.x) || !Number.isFinite(v.y) || !Number.isFinite(v.zoom) || !v.zoom) return { scale: 1, offset: [0, 0] };
  return { scale: v.zoom!, offset: [v.x! / v.zoom!, v.y! / v.zoom!] };
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
