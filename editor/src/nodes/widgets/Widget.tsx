/** Picks the widget for an input's kind; seeds get the seed control. */
import { memo } from 'react';

import { type WidgetInput } from '../../../../protocol/index.ts';
import type { SeedControl } from '../../graph/types.ts';
import { BooleanWidget } from './BooleanWidget.tsx';
import { ChoiceWidget } from './ChoiceWidget.tsx';
import { NumberWidget } from './NumberWidget.tsx';
import { SeedWidget } from './SeedWidget.tsx';
import { TextWidget } from './TextWidget.tsx';

export interface WidgetProps {
  id: string;
  spec: WidgetInput;
  value: unknown;
  control?: SeedControl;
  onChange(value: unknown): void;
  onControlChange(control: SeedControl): void;
}

function WidgetImpl({ id, spec, value, control, onChange, onControlChange }: WidgetProps) {
  switch (spec.kind) {
    case 'int':
    case 'float':
      return spec.seed ? (
        <SeedWidget id={id} spec={spec} value={value as number} control={control ?? 'fixed'} onChange={onChange} onControlChange={onControlChange} />
      ) : (
        <NumberWidget id={id} spec={spec} value={value as number} onChange={onChange} />
      );
    case 'text':
      return <TextWidget id={id} spec={spec} value={value as string} onChange={onChange} />;
    case 'choice':
      return <ChoiceWidget id={id} spec={spec} value={value as string} onChange={onChange} />;
    case 'boolean':
      return <BooleanWidget id={id} spec={spec} value={value as boolean} onChange={onChange} />;
  }
}

export const Widget = memo(WidgetImpl);
