/**
 * React Flow's node-type map, built once at module load: every latentflow node is drawn by NodeCard,
 * which looks its type up in the catalog the server sent (so a new pack node needs no new component).
 */
import type { NodeTypes } from '@xyflow/react';

import { NODE_COMPONENT } from '../graph/convert.ts';
import { NodeCard } from './NodeCard.tsx';

export const nodeTypes: NodeTypes = { [NODE_COMPONENT]: NodeCard };
