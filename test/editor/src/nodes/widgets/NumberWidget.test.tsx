// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import type { NumberInput } from '../../../../../protocol/index.ts';
import { NumberWidget } from '../../../../../editor/src/nodes/widgets/NumberWidget.tsx';
import { Harness, input, typeAndCommit } from './harness.tsx';

afterEach(cleanup);

describe('NumberWidget', () => {
  const width = input<NumberInput>('EmptyLatentImage', 'width');
  const cfg = input<NumberInput>('KSampler', 'cfg');

  it('renders the value and commits typed numbers snapped to step and clamped', () => {
    const changes: number[] = [];
    render(<Harness initial={512} changes={changes} render={(v, set) => <NumberWidget id="w" spec={width} value={v} onChange={set} />} />);
    const field = screen.getByLabelText('width') as HTMLInputElement;
    expect(field.value).toBe('512');
    typeAndCommit(field, '99');
    expect(field.value).toBe('96');
    typeAndCommit(field, '100000', 'blur');
    expect(field.value).toBe('2048');
    typeAndCommit(field, '-5');
    expect(field.value).toBe('64');
    expect(changes).toEqual([96, 2048, 64]);
  });

  it('keeps the old value for text that is not a number, and Escape reverts a draft', () => {
    const changes: number[] = [];
    render(<Harness initial={7} changes={changes} render={(v, set) => <NumberWidget id="c" spec={cfg} value={v} onChange={set} />} />);
    const field = screen.getByLabelText('cfg') as HTMLInputElement;
    typeAndCommit(field, 'abc');
    expect(field.value).toBe('7');
    fireEvent.change(field, { target: { value: '12' } });
    expect(field.value).toBe('12');
    fireEvent.keyDown(field, { key: 'Escape' });
    expect(field.value).toBe('7');
    typeAndCommit(field, '7,3');
    expect(field.value).toBe('7.5');
    expect(changes).toEqual([7.5]);
  });

  it('steps with the arrows and arrow keys, stopping at the bounds', () => {
    const changes: number[] = [];
    render(<Harness initial={29.5} changes={changes} render={(v, set) => <NumberWidget id="c" spec={cfg} value={v} onChange={set} />} />);
    fireEvent.click(screen.getByLabelText('Increase cfg'));
    expect((screen.getByLabelText('cfg') as HTMLInputElement).value).toBe('30');
    expect((screen.getByLabelText('Increase cfg') as HTMLButtonElement).disabled).toBe(true);
    fireEvent.keyDown(screen.getByLabelText('cfg'), { key: 'ArrowDown' });
    fireEvent.click(screen.getByLabelText('Decrease cfg'));
    expect(changes).toEqual([30, 29.5, 29]);
  });
});
