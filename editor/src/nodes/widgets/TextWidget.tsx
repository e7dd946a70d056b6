/** A STRING widget: a growing textarea for multi-line prompts, a one-line field otherwise. Edits go straight to the store (one undo step per burst of typing). */
import { memo } from 'react';

import { type TextInput } from '../../../../protocol/index.ts';

export interface TextWidgetProps {
  id: string;
  spec: TextInput;
  value: string;
  onChange(value: string): void;
}

function TextWidgetImpl({ id, spec, value, onChange }: TextWidgetProps) {
  const text = typeof value === 'string' ? value : String(value ?? '');
  if (spec.multiline) {
    return (
      <textarea
        id={id}
        className="lf-text nodrag nowheel"
        aria-label={spec.name}
        value={text}
        rows={Math.min(8, Math.max(3, text.split('\n').length + 1))}
        placeholder={spec.name}
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return <input id={id} className="lf-line nodrag" aria-label={spec.name} type="text" value={text} spellCheck={false} onChange={(e) => onChange(e.target.value)} />;
}

export const TextWidget = memo(TextWidgetImpl);
