/** The core node types (ComfyUI's names and inputs), registered by every host. */
import type { AnyNodeDefinition } from '../schema.ts';
import './types.ts';

export const coreNodes: AnyNodeDefinition[] = [];
