// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import type { ChoiceInput } from '../../../../../protocol/index.ts';
import { ChoiceWidget } from '../../../../../editor/src/nodes/widgets/ChoiceWidget.tsx';
import { Harness, input } from './harness.tsx';

afterEach(cleanup);

describe('ChoiceWidget', () => {
  it('picks among options and flags a value the server does not have', () => {
    const changes: string[] = [];
    const attention = input<ChoiceInput>('KSampler', 'attention');
    render(<Harness initial="auto" changes={changes} render={(v, set) => <ChoiceWidget id="a" spec={attention} value={v} onChange={set} />} />);
    const select = screen.getByLabelText('attention') as HTMLSelectElement;
    expect([...select.options].map((o) => o.value)).toEqual(['auto', 'naive', 'sliced', 'flash']);
    fireEvent.change(select, { target: { value: 'flash' } });
    expect(changes).toEqual(['flash']);
    cleanup();
    render(<ChoiceWidget id="m" spec={input<ChoiceInput>('CheckpointLoaderSimple', 'ckpt_name')} value="gone.safetensors" onChange={() => undefined} />);
    const models = screen.getByLabelText('ckpt_name') as HTMLSelectElement;
    expect(models.value).toBe('gone.safetensors');
    expect(models.className).toContain('lf-invalid');
    expect(models.options[0].textContent).toBe('gone.safetensors (missing)');
  });
});
