// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import type { BooleanInput } from '../../../../../protocol/index.ts';
import { BooleanWidget } from '../../../../../editor/src/nodes/widgets/BooleanWidget.tsx';
import { Harness, input } from './harness.tsx';

afterEach(cleanup);

describe('BooleanWidget', () => {
  it('toggles a boolean with its labels', () => {
    const changes: boolean[] = [];
    render(<Harness initial={true} changes={changes} render={(v, set) => <BooleanWidget id="b" spec={input<BooleanInput>('SaveImage', 'embed_workflow')} value={v} onChange={set} />} />);
    expect(screen.getByText('yes')).toBeTruthy();
    act(() => {
      fireEvent.click(screen.getByLabelText('embed_workflow'));
    });
    expect(changes).toEqual([false]);
    expect(screen.getByText('no')).toBeTruthy();
  });
});
