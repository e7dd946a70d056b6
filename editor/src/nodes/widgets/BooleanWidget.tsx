/** A BOOLEAN widget: a switch-like checkbox with the node's on/off labels. */
import { memo } from 'react';

import { type BooleanInput } from '../../../../protocol/index.ts';

export interface BooleanWidgetProps {
  id: string;
  spec: BooleanInput;
  value: boolean;
  onChange(value: boolean): void;
}

function BooleanWidgetImpl({ id, spec, value, onChange }: BooleanWidgetProps) {
  const on = value === true;
  return (
    <label className="lf-boolean nodrag">
      <input id={id} type="checkbox" aria-label={spec.name} checked={on} onChange={(e) => onChange(e.target.checked)} />
      <span>{on ? (spec.labelOn ?? 'on') : (spec.labelOff ?? 'off')}</span>
    </label>
  );
}

export const BooleanWidget = memo(BooleanWidgetImpl);
