/**
 * The React Flow canvas: nodes and links from the store, typed connection checks while dragging,
 * drag-and-drop from the palette and of files (workflow JSON, SaveImage PNGs), double-click to add.
 */
import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  ReactFlow,
  type Connection,
  type FinalConnectionState,
  type IsValidConnection,
  type OnReconnect,
} from '@xyflow/react';
import { useCallback, useMemo, useRef, type DragEvent, type MouseEvent } from 'react';

import { isGroupId } from '../graph/convert.ts';
import { type CanvasNode, graphStore, useGraph } from '../graph/store.ts';
import type { FlowEdge } from '../graph/types.ts';
import { edgeTypes, nodeTypes } from '../nodes/node-types.ts';
import { useRun } from '../run/run-store.ts';
import { importFile } from './files.ts';
import { screenToFlow, setFlowInstance } from './view.ts';
import { pointer } from './shortcuts.ts';
import { toast, useUi } from './ui-store.ts';

export const NODE_TYPE_MIME = 'application/x-latentflow-node-type';

const isValidConnection: IsValidConnection<FlowEdge> = (connection) => graphStore.getState().connectionProblem(connection) === null;

function onConnect(connection: Connection) {
  const problem = graphStore.getState().connect(connection);
  if (problem) toast('error', problem);
}

/** Dropping a link on an incompatible socket: say why (React Flow only refuses silently). */
function onConnectEnd(_event: MouseEvent | TouchEvent | globalThis.MouseEvent, state: FinalConnectionState) {
  if (state.isValid || !state.toHandle || !state.fromHandle || !state.fromNode || !state.toNode) return;
  const fromSource = state.fromHandle.type === 'source';
  const connection: Connection = fromSource
    ? { source: state.fromNode.id, sourceHandle: state.fromHandle.id ?? null, target: state.toNode.id, targetHandle: state.toHandle.id ?? null }
    : { source: state.toNode.id, sourceHandle: state.toHandle.id ?? null, target: state.fromNode.id, targetHandle: state.fromHandle.id ?? null };
  if (state.fromHandle.type === state.toHandle.type) {
    toast('error', 'Connect an output (right side) to an input (left side).');
    return;
  }
  const problem = graphStore.getState().connectionProblem(connection);
  if (problem) toast('error', problem);
}

// Props handed to React Flow are module constants: a new object or function on every render would make
// it update its store and re-render every node and edge (measured: 30x slower edits at 200 nodes).
const SNAP_GRID: [number, number] = [16, 16];
const MULTI_SELECT_KEYS = ['Control', 'Meta'];
const DEFAULT_EDGE_OPTIONS = { interactionWidth: 16 };
const PRO_OPTIONS = { hideAttribution: false };
const onNodesChange = (changes: Parameters<ReturnType<typeof graphStore.getState>['onNodesChange']>[0]) => graphStore.getState().onNodesChange(changes);
const onEdgesChange = (changes: Parameters<ReturnType<typeof graphStore.getState>['onEdgesChange']>[0]) => graphStore.getState().onEdgesChange(changes);
const beginDrag = (_event: unknown, _node: unknown, dragged: CanvasNode[]) => graphStore.getState().beginDrag(dragged);
const beginSelectionDrag = (_event: unknown, dragged: CanvasNode[]) => graphStore.getState().beginDrag(dragged);
const onMouseLeave = () => {
  pointer.overCanvas = false;
};

const nodeColor = (node: CanvasNode) => {
  if (isGroupId(node.id)) return 'transparent';
  const status = useRun.getState().nodes[node.id]?.status;
  return status === 'running' ? '#4caf50' : status === 'error' ? '#e53935' : status === 'cached' ? '#607d8b' : '#5c6bc0';
};

export function Canvas() {
  const graphNodes = useGraph((s) => s.nodes);
  const groups = useGraph((s) => s.groups);
  // Groups first: drawn under the nodes.
  const nodes = useMemo<CanvasNode[]>(() => (groups.length === 0 ? graphNodes : [...groups, ...graphNodes]), [groups, graphNodes]);
  const edges = useGraph((s) => s.edges);
  const snapToGrid = useGraph((s) => s.snapToGrid);
  const reconnected = useRef(true);

  const onDragOver = useCallback((event: DragEvent) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = event.dataTransfer.types.includes(NODE_TYPE_MIME) ? 'move' : 'copy';
  }, []);

  const onDrop = useCallback((event: DragEvent) => {
    event.preventDefault();
    const nodeType = event.dataTransfer.getData(NODE_TYPE_MIME);
    if (nodeType) {
      graphStore.getState().addNode(nodeType, screenToFlow({ x: event.clientX, y: event.clientY }));
      return;
    }
    const file = event.dataTransfer.files[0];
    if (file) void importFile(file, screenToFlow({ x: event.clientX, y: event.clientY }));
  }, []);

  const onDoubleClick = useCallback((event: MouseEvent) => {
    const target = event.target as HTMLElement;
    if (!target.classList.contains('react-flow__pane')) return;
    useUi.setState({ quickAdd: { screen: { x: event.clientX, y: event.clientY }, flow: screenToFlow({ x: event.clientX, y: event.clientY }) } });
  }, []);

  const onMouseMove = useCallback((event: MouseEvent) => {
    pointer.x = event.clientX;
    pointer.y = event.clientY;
    pointer.overCanvas = true;
  }, []);

  const onReconnectStart = useCallback(() => {
    reconnected.current = false;
  }, []);
  const onReconnect: OnReconnect<FlowEdge> = useCallback((old, connection) => {
    reconnected.current = true;
    const problem = graphStore.getState().reconnect(old.id, connection);
    if (problem) toast('error', problem);
  }, []);
  const onReconnectEnd = useCallback((_event: unknown, edge: FlowEdge) => {
    // Dropped on empty canvas: the link is detached (ComfyUI's behaviour).
    if (!reconnected.current) graphStore.getState().deleteEdges([edge.id]);
    reconnected.current = true;
  }, []);

  return (
    <div
      className="lf-canvas"
      onDragOver={onDragOver}
      onDrop={onDrop}
      onDoubleClick={onDoubleClick}
      onMouseMove={onMouseMove}
      onMouseLeave={onMouseLeave}
    >
      <ReactFlow<CanvasNode, FlowEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        onInit={setFlowInstance}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        onReconnectStart={onReconnectStart}
        onReconnect={onReconnect}
        onReconnectEnd={onReconnectEnd}
        edgesReconnectable
        onNodeDragStart={beginDrag}
        onSelectionDragStart={beginSelectionDrag}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        zoomOnDoubleClick={false}
        snapToGrid={snapToGrid}
        snapGrid={SNAP_GRID}
        minZoom={0.1}
        maxZoom={2.5}
        onlyRenderVisibleElements={graphNodes.length > 120}
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
        connectionRadius={24}
        proOptions={PRO_OPTIONS}
      >
        <Background variant={BackgroundVariant.Dots} gap={16} size={1} color="#3a3f4b" />
        <MiniMap pannable zoomable nodeColor={nodeColor} maskColor="rgba(20, 22, 28, 0.7)" ariaLabel="Minimap" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
