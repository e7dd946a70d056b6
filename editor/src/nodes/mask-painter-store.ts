/**
 * Which node's picture the mask painter is open on, and its commands: open (from the button on a LoadImage
 * picture, or any menu), close, and save (upload the mask as ComfyUI's mask editor does, then point the node's
 * image input at the new file so the graph uses it).
 */
import { create } from 'zustand';

import type { ImageRef } from '../../../protocol/index.ts';
import { api } from '../api/client.ts';
import { loadCatalog } from '../app/session.ts';
import { errorMessage, toast } from '../app/ui-store.ts';
import { graphStore } from '../graph/store.ts';
import { imageRefOfName, nameOfImageRef } from './image-name.ts';
import { MASK_SUBFOLDER, maskFileName } from './mask-canvas.ts';

export interface MaskPainterTarget {
  nodeId: string;
  /** The node's image input (LoadImage's `image`). */
  input: string;
  /** The picture painted on, as the input named it when the painter opened. */
  picture: ImageRef;
}

export const useMaskPainter = create<{ target: MaskPainterTarget | null }>()(() => ({ target: null }));

/** Opens the painter on the picture a node's image input names; false when it names none. */
export function openMaskPainter(nodeId: string, input = 'image'): boolean {
  const value = graphStore.getState().nodes.find((n) => n.id === nodeId)?.data.widgets[input];
  if (typeof value !== 'string' || value === '') {
    toast('info', `Node #${nodeId} has no picture to paint a mask on: upload one first.`);
    return false;
  }
  useMaskPainter.setState({ target: { nodeId, input, picture: imageRefOfName(value) } });
  return true;
}

export function closeMaskPainter(): void {
  useMaskPainter.setState({ target: null });
}

/**
 * Uploads `mask` (a PNG the picture's size whose alpha is 0 where painted) to POST /upload/mask as
 * input/clipspace/clipspace-mask-<n>.png, a copy of the picture with that alpha, and sets the node's input to it.
 * Returns the new name, or null when the upload failed (a toast says why).
 */
export async function saveMask(target: MaskPainterTarget, mask: Blob): Promise<string | null> {
  try {
    const saved = await api.uploadMask(mask, maskFileName(), target.picture, MASK_SUBFOLDER);
    const name = nameOfImageRef({ filename: saved.name, subfolder: saved.subfolder, type: saved.type });
    await loadCatalog(); // the input's options now include the new file
    graphStore.getState().setWidget(target.nodeId, target.input, name);
    toast('success', `Saved the mask as "${name}".`);
    return name;
  } catch (error) {
    toast('error', `Could not save the mask: ${errorMessage(error)}`);
    return null;
  }
}
