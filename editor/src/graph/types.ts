/** The canvas's node and edge types (React Flow's, with latentflow's data). */
import type { Edge, Node } from '@xyflow/react';

/** How a seed widget changes before each run (ComfyUI's control_after_generate). */
export type SeedControl = 'fixed' | 'randomize' | 'increment' | 'decrement';

export interface NodeData extends Record<string, unknown> {
  /** The node type id, e.g. `KSampler` (React Flow's `node.type` picks the component; this is the truth). */
  nodeType: string;
  /** Widget values by input name. */
  widgets: Record<string, unknown>;
  title?: string;
  version?: number;
  /** Seed widgets' controls by input name (absent: fixed). */
  controls?: Record<string, SeedControl>;
}

export interface EdgeData extends Record<string, unknown> {
  /** Socket type carried, for the edge colour. */
  socketType: string;
}

export type FlowNode = Node<NodeData>;
export type FlowEdge = Edge<EdgeData>;

/** The part of the canvas that is the document (what undo restores, what is saved). */
export interface GraphDoc {
  nodes: FlowNode[];
  edges: FlowEdge[];
}
