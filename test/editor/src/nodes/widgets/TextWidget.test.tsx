// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import type { TextInput } from '../../../../../protocol/index.ts';
import { TextWidget } from '../../../../../editor/src/nodes/widgets/TextWidget.tsx';
import { Harness, input } from './harness.tsx';

afterEach(cleanup);

describe('TextWidget', () => {
  it('edits a multi-line prompt', () => {
    const changes: string[] = [];
    render(<Harness initial="a cat" changes={changes} render={(v, set) => <TextWidget id="t" spec={input<TextInput>('CLIPTextEncode', 'text')} value={v} onChange={set} />} />);
    const area = screen.getByLabelText('text');
    expect(area.tagName).toBe('TEXTAREA');
    fireEvent.change(area, { target: { value: 'a large yellow square\non a purple background' } });
    expect(changes).toEqual(['a large yellow square\non a purple background']);
    expect((area as HTMLTextAreaElement).value).toContain('\n');
  });

  it('a one-line string is an input', () => {
    render(<TextWidget id="p" spec={input<TextInput>('SaveImage', 'filename_prefix')} value="latentflow" onChange={() => undefined} />);
    expect(screen.getByLabelText('filename_prefix').tagName).toBe('INPUT');
  });
});
