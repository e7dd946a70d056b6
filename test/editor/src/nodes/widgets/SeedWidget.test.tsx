// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';

import type { NumberInput } from '../../../../../protocol/index.ts';
import type { SeedControl } from '../../../../../editor/src/graph/types.ts';
import { SeedWidget } from '../../../../../editor/src/nodes/widgets/SeedWidget.tsx';
import { input, typeAndCommit } from './harness.tsx';

afterEach(cleanup);

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
