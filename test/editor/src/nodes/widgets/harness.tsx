/** What the widget tests share: the catalog's inputs, a stateful harness, typing into a field. */
import { fireEvent } from '@testing-library/react';
import { useState, type ReactElement } from 'react';

import { parseCatalog } from '../../../../../protocol/index.ts';
import { OBJECT_INFO } from '../../../catalog-fixture.ts';

const catalog = parseCatalog(OBJECT_INFO);

/** One input of a catalog-fixture node type. */
export const input = <T,>(type: string, name: string) => catalog.get(type)!.inputs.find((i) => i.name === name) as T;

/** Renders a widget with its value held in state, recording every change. */
export function Harness<V>({ initial, render: draw, changes }: { initial: V; render: (value: V, set: (v: V) => void) => ReactElement; changes: V[] }) {
  const [value, setValue] = useState(initial);
  return draw(value, (v) => {
    changes.push(v);
    setValue(v);
  });
}

export function typeAndCommit(field: HTMLElement, text: string, key: 'Enter' | 'blur' = 'Enter') {
  fireEvent.focus(field);
  fireEvent.change(field, { target: { value: text } });
  if (key === 'Enter') fireEvent.keyDown(field, { key: 'Enter' });
  else fireEvent.blur(field);
}
