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
  /** ComfyUI's mode: 2 muted (left out of runs), 4 bypassed (inputs passed through); absent: runs. */
  mode?: number;
  /** ComfyUI's title-bar and body colours, from the file. */
  color?: string;
  bgcolor?: string;
  /** litegraph's flags and properties, kept for the file written back. */
  flags?: Record<string, unknown>;
  properties?: Record<string, unknown>;
}

export interface EdgeData extends Record<string, unknown> {
  /** Socket type carried, for the edge colour. */
  socketType: string;
  /** The last native reroute (a dot) the link passes through; the dots before it follow their `parentId`. */
  parentId?: number;
}

/** A group: a titled, coloured rectangle behind nodes; dragging its title moves the nodes inside it. */
export interface GroupData extends Record<string, unknown> {
  title: string;
  color?: string;
  fontSize?: number;
}

/** A native reroute: a dot on links (ComfyUI's `extra.reroutes`), in canvas coordinates. */
export interface NativeReroute {
  id: number;
  parentId?: number;
  pos: { x: number; y: number };
}

export type FlowNode = Node<NodeData>;
export type FlowEdge = Edge<EdgeData>;
export type FlowGroup = Node<GroupData>;
/** What React Flow draws as nodes: the graph's nodes and the groups behind them. */
export type CanvasNode = FlowNode | FlowGroup;

/** The part of the canvas that is the document (what undo restores, what is saved). */
export interface GraphDoc {
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Groups, drawn behind the nodes (absent: none). */
  groups?: FlowGroup[];
  /** Native reroutes the edges' `parentId` point at (absent: none). */
  reroutes?: NativeReroute[];
}
