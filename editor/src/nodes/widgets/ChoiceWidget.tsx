/** A COMBO widget (sampler, scheduler, attention mode, model file): a select; a value not among the options is kept and flagged. */
import { memo } from 'react';

import { type ChoiceInput } from '../../../../protocol/index.ts';

export interface ChoiceWidgetProps {
  id: string;
  spec: ChoiceInput;
  value: string;
  onChange(value: string): void;
}

function ChoiceWidgetImpl({ id, spec, value, onChange }: ChoiceWidgetProps) {
  const missing = value !== undefined && value !== '' && !spec.options.includes(value);
  return (
    <select
      id={id}
      className={`lf-choice nodrag${missing ? ' lf-invalid' : ''}`}
      aria-label={spec.name}
      value={value ?? ''}
      title={missing ? `"${value}" is not available on this server` : undefined}
      onChange={(e) => onChange(e.target.value)}
    >
      {missing && <option value={value}>{value} (missing)</option>}
      {spec.options.length === 0 && !missing && <option value="">(none available)</option>}
      {spec.options.map((option) => (
        <option key={option} value={option}>
          {option}
        </option>
      ))}
    </select>
  );
}

export const ChoiceWidget = memo(ChoiceWidgetImpl);
