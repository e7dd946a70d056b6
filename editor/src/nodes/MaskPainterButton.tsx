/** Opens the mask painter on the picture an image input names (shown under LoadImage's picture). */
import { openMaskPainter } from './mask-painter-store.ts';

export function MaskPainterButton({ nodeId, input }: { nodeId: string; input: string }) {
  return (
    <button
      type="button"
      className="lf-small-button"
      onClick={() => openMaskPainter(nodeId, input)}
      aria-label={`Paint a mask on the picture of node #${nodeId}`}
      title="Paint a mask: the painted part becomes transparent in a copy, and MASK is 1 there"
    >
      Paint mask…
    </button>
  );
}
