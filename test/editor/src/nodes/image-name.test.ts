import { describe, expect, it } from 'vitest';

import { imageRefOfName, nameOfImageRef } from '../../../../editor/src/nodes/image-name.ts';

describe('image names', () => {
  it.each([
    ['cat.png', { filename: 'cat.png', subfolder: '', type: 'input' }],
    ['pets/cat.png', { filename: 'cat.png', subfolder: 'pets', type: 'input' }],
    ['clipspace/clipspace-mask-1.png', { filename: 'clipspace-mask-1.png', subfolder: 'clipspace', type: 'input' }],
    ['a/b/c.png [output]', { filename: 'c.png', subfolder: 'a/b', type: 'output' }],
    ['x.png [temp]', { filename: 'x.png', subfolder: '', type: 'temp' }],
    ['x.png [input]', { filename: 'x.png', subfolder: '', type: 'input' }],
    ['odd [name].png', { filename: 'odd [name].png', subfolder: '', type: 'input' }],
  ])('%s', (name, ref) => {
    expect(imageRefOfName(name)).toEqual(ref);
    expect(imageRefOfName(nameOfImageRef(ref))).toEqual(ref);
  });

  it('writes input names plain and other folders annotated', () => {
    expect(nameOfImageRef({ filename: 'm.png', subfolder: 'clipspace', type: 'input' })).toBe('clipspace/m.png');
    expect(nameOfImageRef({ filename: 'm.png', subfolder: '', type: 'output' })).toBe('m.png [output]');
  });
});
