/**
 * The canvas's view: the React Flow instance the canvas registers, and what moves the viewport
 * (fit, focus a node) or converts between screen and flow coordinates.
 */
import type { ReactFlowInstance } from '@xyflow/react';

import { graphStore } from '../graph/store.ts';
import type { CanvasNode, FlowEdge } from '../graph/types.ts';

let flow: ReactFlowInstance<CanvasNode, FlowEdge> | null = null;

/** The canvas registers its React Flow instance (for viewport, fit and focus). */
export function setFlowInstance(instance: ReactFlowInstance<CanvasNode, FlowEdge> | null): void {
  flow = instance;
}

/** The registered instance, null before the canvas mounted (and in tests). */
export function flowInstance(): ReactFlowInstance<CanvasNode, FlowEdge> | null {
  return flow;
}

export function focusNode(id: string): void {
  graphStore.getState().selectOnly([id]);
  void flow?.fitView({ nodes: [{ id }], padding: 0.6, maxZoom: 1.2, duration: 300 });
}

export function fitView(): void {
  void flow?.fitView({ padding: 0.15, maxZoom: 1, duration: 200 });
}

/** The flow position at the centre of the canvas (where keyboard-added nodes go). */
export function viewCenter(): { x: number; y: number } {
  const pane = document.querySelector('.react-flow');
  if (!flow || !pane) return { x: 0, y: 0 };
  const rect = pane.getBoundingClientRect();
  return flow.screenToFlowPosition({ x: rect.left + rect.width / 2, y: rect.top + rect.height / 3 });
}

export function screenToFlow(point: { x: number; y: number }): { x: number; y: number } {
  return flow ? flow.screenToFlowPosition(point) : point;
}
