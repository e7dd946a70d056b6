// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { useState, type ReactElement } from 'react';

import { parseCatalog, type ChoiceInput, type NumberInput, type TextInput, type BooleanInput } from '../../../../../protocol/index.ts';
import type { SeedControl } from '../../../../../editor/src/graph/types.ts';
import { BooleanWidget } from '../../../../../editor/src/nodes/widgets/BooleanWidget.tsx';
import { ChoiceWidget } from '../../../../../editor/src/nodes/widgets/ChoiceWidget.tsx';
import { NumberWidget } from '../../../../../editor/src/nodes/widgets/NumberWidget.tsx';
import { SeedWidget } from '../../../../../editor/src/nodes/widgets/SeedWidget.tsx';
import { TextWidget } from '../../../../../editor/src/nodes/widgets/TextWidget.tsx';
import { OBJECT_INFO } from '../../../catalog-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);
const input = <T,>(type: string, name: string) => catalog.get(type)!.inputs.find((i) => i.name === name) as T;

afterEach(cleanup);

/** Renders a widget with its value held in state, recording every change. */
function Harness<V>({ initial, render: draw, changes }: { initial: V; render: (value: V, set: (v: V) => void) => ReactElement; changes: V[] }) {
  const [value, setValue] = useState(initial);
  return draw(value, (v) => {
    changes.push(v);
    setValue(v);
  });
}

function typeAndCommit(field: HTMLElement, text: string, key: 'Enter' | 'blur' = 'Enter') {
  fireEvent.focus(field);
  fireEvent.change(field, { target: { value: text } });
  if (key === 'Enter') fireEvent.keyDown(field, { key: 'Enter' });
  else fireEvent.blur(field);
}

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

describe('SeedWidget', () => {
  const seed = input<NumberInput>('KSampler', 'seed');

  it('edits the seed, changes its control, and rolls a new random seed', () => {
    const seeds: number[] = [];
    const controls: SeedControl[] = [];
    function SeedHarness() {
      const [value, setValue] = useState(42);
      const [control, setControl] = useState<SeedControl>('fixed');
      return (
        <SeedWidget
          id="s"
          spec={seed}
          value={value}
          control={control}
          onChange={(v) => (seeds.push(v), setValue(v))}
          onControlChange={(c) => (controls.push(c), setControl(c))}
        />
      );
    }
    render(<SeedHarness />);
    const field = screen.getByLabelText('seed') as HTMLInputElement;
    expect(field.value).toBe('42');
    typeAndCommit(field, '-3');
    expect(field.value).toBe('0');
    const select = screen.getByLabelText('seed before each run') as HTMLSelectElement;
    expect(select.value).toBe('fixed');
    fireEvent.change(select, { target: { value: 'randomize' } });
    expect(select.value).toBe('randomize');
    expect(controls).toEqual(['randomize']);
    fireEvent.click(screen.getByLabelText('New random seed'));
    expect(seeds).toHaveLength(2);
    expect(Number.isSafeInteger(seeds[1]) && seeds[1] >= 0).toBe(true);
    expect(field.value).toBe(String(seeds[1]));
  });
});

describe('TextWidget, ChoiceWidget, BooleanWidget', () => {
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
