/**
 * React Flow's node- and edge-type maps, built once at module load: every latentflow node is drawn by
 * NodeCard, which looks its type up in the catalog the server sent (so a new pack node needs no new
 * component); ComfyUI's frontend-only nodes (Note, MarkdownNote, Reroute) and groups have their own.
 */
import type { EdgeTypes, NodeTypes } from '@xyflow/react';

import { GROUP_COMPONENT, NODE_COMPONENT, NOTE_COMPONENT, REROUTE_COMPONENT, REROUTED_EDGE } from '../graph/convert.ts';
import { GroupNode } from './GroupNode.tsx';
import { NodeCard } from './NodeCard.tsx';
import { NoteNode } from './NoteNode.tsx';
import { ReroutedEdge } from './ReroutedEdge.tsx';
import { RerouteNode } from './RerouteNode.tsx';

export const nodeTypes: NodeTypes = { [NODE_COMPONENT]: NodeCard, [NOTE_COMPONENT]: NoteNode, [REROUTE_COMPONENT]: RerouteNode, [GROUP_COMPONENT]: GroupNode };

export const edgeTypes: EdgeTypes = { [REROUTED_EDGE]: ReroutedEdge };
