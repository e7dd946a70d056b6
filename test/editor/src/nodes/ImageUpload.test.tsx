// @vitest-environment happy-dom
// LoadImage's upload picker offers the formats the server reads (PNG, JPEG, WebP), not PNG alone.
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { ImageUpload } from '../../../../editor/src/nodes/ImageUpload.tsx';

afterEach(cleanup);

describe('ImageUpload', () => {
  it('picks PNG, JPEG and WebP files', () => {
    render(<ImageUpload nodeId="10" input="image" value="" />);
    const picker = screen.getByLabelText('Upload an image for image of node #10') as HTMLInputElement;
    expect(picker.accept.split(',').sort()).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    expect(screen.getByText('Upload image…')).toBeTruthy();
  });
});
