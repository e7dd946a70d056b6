/**
 * "Save selection as a node type": the selection cut as a subgraph (protocol's cutSubgraph, the same
 * cut the server's exportSubgraph makes), sent to the server's pack, then collapsed into one node of
 * the new type; and exporting a subgraph node type as a file.
 */
import { type Catalog, type CutResult, cutSubgraph, savedToExecution, type SubgraphJson } from '../../../protocol/index.ts';
import { api } from '../api/client.ts';
import { defaultWidgets } from '../graph/catalog.ts';
import { makeEdge, makeNode, nextNodeId, toSaved } from '../graph/convert.ts';
import { graphStore } from '../graph/store.ts';
import type { FlowEdge, GraphDoc, NodeData } from '../graph/types.ts';
import { download } from './files.ts';
import { loadCatalog } from './session.ts';
import { errorMessage, toast } from './ui-store.ts';

export interface SubgraphMeta {
  /** Shown in the palette. */
  displayName: string;
  /** The type id (the server adds its pack's namespace). */
  type: string;
  description: string;
  /** Widgets to expose as inputs of the new node, as `<nodeId>:<input>`. */
  exposedWidgets?: string[];
}

/** The subgraph of the selected nodes (or why it cannot be made); null when nothing is selected. */
export function subgraphOfSelection(doc: GraphDoc, catalog: Catalog, meta: SubgraphMeta): CutResult | null {
  const selection = doc.nodes.filter((n) => n.selected).map((n) => n.id);
  if (selection.length === 0) return null;
  const saved = toSaved(doc, { name: meta.type });
  const widgets = (meta.exposedWidgets ?? []).map((key) => {
    const colon = key.lastIndexOf(':');
    return { node: key.slice(0, colon), input: key.slice(colon + 1) };
  });
  return cutSubgraph(
    { graph: savedToExecution(saved).graph, saved },
    selection,
    { type: meta.type, displayName: meta.displayName, ...(meta.description ? { description: meta.description } : {}), category: 'subgraphs', widgets },
    (type) => catalog.get(type),
  );
}

/** Sends the selection to the server as a node type; on success replaces the selection by one such node. */
export async function saveSelectionAsNode(meta: SubgraphMeta): Promise<boolean> {
  const state = graphStore.getState();
  const cut = subgraphOfSelection(state, state.catalog, meta);
  if (!cut) {
    toast('info', 'Select the nodes to turn into a node type first.');
    return false;
  }
  if (!cut.subgraph) {
    toast('error', `This selection cannot be a node type: ${cut.problems.join('; ')}.`);
    return false;
  }
  const definition = cut.subgraph;
  try {
    await api.saveSubgraph(definition);
  } catch (error) {
    toast('error', `Could not save the node type: ${errorMessage(error)}`);
    return false;
  }
  const catalog = await loadCatalog();
  const spec = [...catalog.values()].find((s) => s.pack !== null && (s.type === meta.type || s.type.endsWith(`/${meta.type}`)));
  if (!spec) {
    toast('success', `Saved node type "${meta.type}".`);
    return true;
  }
  collapseSelection(definition, spec.type);
  toast('success', `Saved node type "${spec.type}"; the selection is now one node.`);
  return true;
}

/** Replaces the selected nodes by one node of `nodeType`, rewiring the links that crossed the selection. */
export function collapseSelection(definition: SubgraphJson, nodeType: string, store = graphStore): void {
  const state = store.getState();
  const spec = state.catalog.get(nodeType);
  if (!spec) return;
  const selected = state.nodes.filter((n) => n.selected);
  const ids = new Set(selected.map((n) => n.id));
  const x = Math.min(...selected.map((n) => n.position.x));
  const y = Math.min(...selected.map((n) => n.position.y));
  const id = nextNodeId(state.nodes);
  const data: NodeData = { nodeType, widgets: defaultWidgets(spec), ...(spec.version !== undefined ? { version: spec.version } : {}) };
  const edges: FlowEdge[] = state.edges.filter((e) => !ids.has(e.source) && !ids.has(e.target));
  for (const edge of state.edges) {
    if (!ids.has(edge.source) && ids.has(edge.target)) {
      const port = definition.inputs.find((p) => p.targets.some((t) => t.node === edge.target && t.input === edge.targetHandle));
      if (port && spec.inputs.some((i) => i.name === port.name) && !edges.some((e) => e.target === id && e.targetHandle === port.name)) {
        edges.push(makeEdge(edge.source, Number(edge.sourceHandle ?? 0), id, port.name, port.type));
      }
    } else if (ids.has(edge.source) && !ids.has(edge.target)) {
      const index = definition.outputs.findIndex((p) => p.from.node === edge.source && p.from.output === Number(edge.sourceHandle ?? 0));
      if (index >= 0 && spec.outputs[index]) edges.push(makeEdge(id, index, edge.target, edge.targetHandle ?? '', spec.outputs[index].type));
    }
  }
  const nodes = [...state.nodes.filter((n) => !ids.has(n.id)).map((n) => (n.selected ? { ...n, selected: false } : n)), { ...makeNode(id, data, { x, y }), selected: true }];
  state.replaceDocument({ nodes, edges });
}

export async function exportNodeType(type: string): Promise<void> {
  try {
    const definition = await api.exportSubgraph(type);
    download(`${type.replace(/[^A-Za-z0-9_-]+/g, '_')}.node.json`, `${JSON.stringify(definition, null, 2)}\n`);
  } catch (error) {
    toast('error', `Could not export "${type}": ${errorMessage(error)}`);
  }
}
