/**
 * An INT/FLOAT widget: a text field with step arrows. Typing edits a draft; Enter or leaving the field
 * commits it snapped to step and clamped to [min, max]; Escape reverts; ArrowUp/ArrowDown step.
 */
import { memo, useEffect, useState, type KeyboardEvent } from 'react';

import { type NumberInput } from '../../../../protocol/index.ts';
import { clampNumber, stepNumber } from '../../graph/widget-values.ts';

export interface NumberWidgetProps {
  id: string;
  spec: NumberInput;
  value: number;
  onChange(value: number): void;
}

export function formatNumber(spec: NumberInput, value: number): string {
  return spec.kind === 'int' ? String(Math.round(value)) : String(value);
}

function NumberWidgetImpl({ id, spec, value, onChange }: NumberWidgetProps) {
  const current = typeof value === 'number' && Number.isFinite(value) ? value : (spec.default ?? 0);
  const [draft, setDraft] = useState<string | null>(null);
  useEffect(() => setDraft(null), [current]);

  const commit = () => {
    if (draft === null) return;
    const parsed = Number(draft.trim().replace(',', '.'));
    const next = draft.trim() === '' ? current : clampNumber(spec, parsed, current);
    setDraft(null);
    if (next !== current) onChange(next);
  };
  const step = (direction: 1 | -1) => {
    const next = stepNumber(spec, current, direction);
    setDraft(null);
    if (next !== current) onChange(next);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      commit();
      event.currentTarget.blur();
    } else if (event.key === 'Escape') {
      setDraft(null);
      event.currentTarget.blur();
    } else if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
      event.preventDefault();
      step(event.key === 'ArrowUp' ? 1 : -1);
    }
  };
  const range = [spec.min !== undefined ? `min ${spec.min}` : '', spec.max !== undefined ? `max ${spec.max}` : '', spec.step !== undefined ? `step ${spec.step}` : '']
    .filter(Boolean)
    .join(', ');

  return (
    <div className="lf-number nodrag">
      <button type="button" className="lf-step" aria-label={`Decrease ${spec.name}`} tabIndex={-1} onClick={() => step(-1)} disabled={spec.min !== undefined && current <= spec.min}>
        ‹
      </button>
      <input
        id={id}
        className="lf-number-input"
        type="text"
        inputMode={spec.kind === 'int' ? 'numeric' : 'decimal'}
        value={draft ?? formatNumber(spec, current)}
        title={range || undefined}
        aria-label={spec.name}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={onKeyDown}
        onFocus={(e) => e.target.select()}
      />
      <button type="button" className="lf-step" aria-label={`Increase ${spec.name}`} tabIndex={-1} onClick={() => step(1)} disabled={spec.max !== undefined && current >= spec.max}>
        ›
      </button>
    </div>
  );
}

export const NumberWidget = memo(NumberWidgetImpl);
