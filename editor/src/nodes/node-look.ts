/**
 * How a node's ComfyUI state shows: muted (mode 2) greyed out, bypassed (mode 4) tinted purple, as
 * ComfyUI draws them, and the title-bar / body colours a file gave it (`color`, `bgcolor`).
 */
import type { CSSProperties } from 'react';

import type { NodeData } from '../graph/types.ts';

/** The mode's class and its name for `data-mode` (tests and styles read it). */
export function modeLook(mode: number | undefined): { className: string; name: 'muted' | 'bypassed' | 'always' } {
  if (mode === 2) return { className: 'lf-mode-muted', name: 'muted' };
  if (mode === 4) return { className: 'lf-mode-bypassed', name: 'bypassed' };
  return { className: '', name: 'always' };
}

/** The node's own colours, as inline styles (set through the DOM, so allowed under the editor's CSP). */
export function colorStyles(data: Pick<NodeData, 'color' | 'bgcolor'>): { card?: CSSProperties; header?: CSSProperties } {
  return {
    ...(data.bgcolor ? { card: { background: data.bgcolor } } : {}),
    ...(data.color ? { header: { background: data.color } } : {}),
  };
}
