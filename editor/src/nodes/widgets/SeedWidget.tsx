/** A seed: a number widget plus what happens to it before each run (fixed, randomize, increment, decrement). */
import { memo } from 'react';

import { type NumberInput } from '../../../../protocol/index.ts';
import type { SeedControl } from '../../graph/types.ts';
import { nextSeed } from '../../graph/widget-values.ts';
import { NumberWidget } from './NumberWidget.tsx';

export interface SeedWidgetProps {
  id: string;
  spec: NumberInput;
  value: number;
  control: SeedControl;
  onChange(value: number): void;
  onControlChange(control: SeedControl): void;
}

const CONTROLS: Array<{ value: SeedControl; label: string }> = [
  { value: 'fixed', label: 'fixed' },
  { value: 'randomize', label: 'randomize' },
  { value: 'increment', label: 'increment' },
  { value: 'decrement', label: 'decrement' },
];

function SeedWidgetImpl({ id, spec, value, control, onChange, onControlChange }: SeedWidgetProps) {
  return (
    <div className="lf-seed">
      <NumberWidget id={id} spec={spec} value={value} onChange={onChange} />
      <div className="lf-seed-controls nodrag">
        <select aria-label={`${spec.name} before each run`} value={control} onChange={(e) => onControlChange(e.target.value as SeedControl)}>
          {CONTROLS.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        <button type="button" className="lf-small-button" aria-label={`New random ${spec.name}`} title="Pick a new random seed now" onClick={() => onChange(nextSeed('randomize', value, spec))}>
          random
        </button>
      </div>
    </div>
  );
}

export const SeedWidget = memo(SeedWidgetImpl);
