/**
 * A UI-format node's `widgets_values`: one value per widget in the node type's widget order (its
 * widget inputs, required then optional, as object_info orders them), with one extra value after each
 * widget that has ComfyUI's `control_after_generate` (a seed): "fixed", "increment", "decrement" or
 * "randomize". Converting a widget to an input keeps its value in the list, so the order never shifts.
 *
 * @example
 *   widgetsFromValues(ksampler, [5, 'randomize', 20, 8, 'euler', 'normal', 1]);
 *   // { widgets: { seed: 5, steps: 20, cfg: 8, ... }, controls: { seed: 'randomize' } }
 *   valuesFromWidgets(ksampler, { seed: 5, steps: 20, ... }, { seed: 'fixed' });   // [5, 'fixed', 20, ...]
 */
import { isWidgetInput, type NodeSpec, type WidgetInput } from '../catalog.ts';

/** ComfyUI's values of the control after a seed widget. */
export const SEED_CONTROLS = ['fixed', 'increment', 'decrement', 'randomize'] as const;
export type SeedControl = (typeof SEED_CONTROLS)[number];

export function isSeedControl(value: unknown): value is SeedControl {
  return typeof value === 'string' && (SEED_CONTROLS as readonly string[]).includes(value);
}

/** The widgets of a node type in `widgets_values` order. */
export function widgetOrder(spec: NodeSpec): WidgetInput[] {
  return spec.inputs.filter(isWidgetInput);
}

/** Whether a widget is followed by a control value (ComfyUI's control_after_generate). */
export function hasControl(widget: WidgetInput): boolean {
  return widget.kind === 'int' && widget.seed;
}

/**
 * Widget values by name from `widgets_values` (an array in widget order, or an object by name). Values
 * past the end are left out (the node's defaults apply); extra trailing values (a newer ComfyUI's
 * widgets latentflow lacks) are returned as `extra`.
 */
export function widgetsFromValues(
  spec: NodeSpec,
  values: readonly unknown[] | Record<string, unknown> | undefined,
): { widgets: Record<string, unknown>; controls: Record<string, SeedControl>; extra: unknown[] } {
  const widgets: Record<string, unknown> = {};
  const controls: Record<string, SeedControl> = {};
  if (values === undefined) return { widgets, controls, extra: [] };
  const order = widgetOrder(spec);
  if (!Array.isArray(values)) {
    for (const widget of order) if (Object.hasOwn(values, widget.name)) widgets[widget.name] = (values as Record<string, unknown>)[widget.name];
    return { widgets, controls, extra: [] };
  }
  let i = 0;
  for (const widget of order) {
    if (i >= values.length) break;
    widgets[widget.name] = values[i++];
    // Files saved before ComfyUI had the control lack it: only a control value is taken as one.
    if (hasControl(widget) && isSeedControl(values[i])) controls[widget.name] = values[i++] as SeedControl;
  }
  return { widgets, controls, extra: values.slice(i) };
}

/** `widgets_values` from widget values by name; a missing value is the widget's default (null without one). */
export function valuesFromWidgets(spec: NodeSpec, widgets: Record<string, unknown>, controls: Record<string, string> = {}): unknown[] {
  const out: unknown[] = [];
  for (const widget of widgetOrder(spec)) {
    out.push(Object.hasOwn(widgets, widget.name) ? widgets[widget.name] : (widget.default ?? null));
    if (hasControl(widget)) out.push(isSeedControl(controls[widget.name]) ? controls[widget.name] : 'fixed');
  }
  return out;
}
