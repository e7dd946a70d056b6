// ControlNetApply and ControlNetApplyAdvanced's work (ComfyUI's nodes.py): every entry gets a control chain link
// holding the ControlNet, the hint (IMAGE moved to [B, 3, H, W]), the strength and the range, chained to the
// entry's previous ControlNets. One link is made per distinct previous chain and shared by every entry (and, in
// the advanced node, both sides) that had it, as ComfyUI's `cnets` dict does: entries that share it batch.

import { imageToPlanes } from '../../image/convert.ts';
import type { ControlNetValue, ImageValue } from '../../socket-values.ts';
import type { Conditioning, ControlChain } from './conditioning.ts';

export interface ControlApplication {
  controlNet: ControlNetValue;
  image: ImageValue;
  strength: number;
  startPercent: number;
  endPercent: number;
}

/** Applies the ControlNet to each list; `links` is shared between the calls of one node run. */
export function applyControlNet(lists: readonly Conditioning[], a: ControlApplication): Conditioning[] {
  const [b, h, w, c] = a.image.shape;
  const hint = imageToPlanes(a.image).data; // [B, C, H, W]
  const links = new Map<ControlChain | undefined, ControlChain>();
  const linkFor = (previous: ControlChain | undefined): ControlChain => {
    let link = links.get(previous);
    if (!link) {
      link = {
        controlnet: a.controlNet.controlnet,
        globalAveragePooling: a.controlNet.globalAveragePooling,
        hint,
        hintShape: [b, c, h, w],
        strength: a.strength,
        startPercent: a.startPercent,
        endPercent: a.endPercent,
        ...(previous ? { previous } : {}),
      };
      links.set(previous, link);
    }
    return link;
  };
  return lists.map((list) => list.map((entry) => ({ ...entry, control: linkFor(entry.control) })));
}

/** The IMAGE a ControlNet can read: 3 channels (ComfyUI's hint channels for SD 1.x ControlNets). */
export function checkHintImage(image: ImageValue, controlNet: ControlNetValue): void {
  const channels = controlNet.controlnet.hintChannels;
  if (image.shape[3] !== channels) throw new Error(`input "image" has ${image.shape[3]} channels; this ControlNet reads ${channels}.`);
}
