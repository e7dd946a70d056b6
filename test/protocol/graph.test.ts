import { describe, expect, it } from 'vitest';

import { upstreamNodes } from '../../protocol/index.ts';
import { txt2img } from './workflow/examples.ts';

describe('upstreamNodes', () => {
  it('is the roots and everything they link from, in graph order; missing roots and links to missing nodes are skipped', () => {
    expect(upstreamNodes(txt2img, ['9'])).toEqual(['3', '4', '5', '6', '7', '8', '9']);
    expect(upstreamNodes(txt2img, ['6'])).toEqual(['4', '6']);
    expect(upstreamNodes({ ...txt2img, '8': { class_type: 'VAEDecode', inputs: { samples: ['42', 0] } } }, ['9', '77'])).toEqual(['8', '9']);
    expect(upstreamNodes(txt2img, [])).toEqual([]);
  });

  it('terminates on a loop', () => {
    expect(upstreamNodes({ a: { class_type: 'X', inputs: { in: ['b', 0] } }, b: { class_type: 'X', inputs: { in: ['a', 0] } } }, ['a'])).toEqual(['a', 'b']);
  });
});
