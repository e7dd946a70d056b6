/**
 * The node catalog as the editor uses it beyond reading it (protocol/catalog.ts reads it): the values a
 * fresh node starts with, and the palette's search.
 */
import { type Catalog, isWidgetInput, type NodeSpec, type WidgetInput } from '../../../protocol/index.ts';

/** A widget's starting value: its default, else the first option / min / empty / false. */
export function defaultWidgetValue(input: WidgetInput): unknown {
  if (input.default !== undefined) return input.default;
  switch (input.kind) {
    case 'int':
    case 'float':
      return input.min !== undefined && input.min > 0 ? input.min : 0;
    case 'text':
      return '';
    case 'boolean':
      return false;
    case 'choice':
      return input.options[0] ?? '';
  }
}

/** The widget values a fresh node of this type starts with. */
export function defaultWidgets(spec: NodeSpec): Record<string, unknown> {
  const widgets: Record<string, unknown> = {};
  for (const input of spec.inputs) if (isWidgetInput(input)) widgets[input.name] = defaultWidgetValue(input);
  return widgets;
}

export interface CategoryGroup {
  category: string;
  specs: NodeSpec[];
}

/**
 * The palette: node types whose name, display name, category or description match every word of the
 * query, grouped by category (sorted), best matches first within a group.
 */
export function searchCatalog(catalog: Catalog, query: string): CategoryGroup[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const scored: Array<{ spec: NodeSpec; score: number }> = [];
  for (const spec of catalog.values()) {
    const name = `${spec.type} ${spec.displayName}`.toLowerCase();
    const haystack = `${name} ${spec.category} ${spec.description}`.toLowerCase();
    if (!words.every((w) => haystack.includes(w))) continue;
    let score = 0;
    for (const w of words) score += name.startsWith(w) ? 3 : name.includes(w) ? 2 : 1;
    scored.push({ spec, score });
  }
  const groups = new Map<string, Array<{ spec: NodeSpec; score: number }>>();
  for (const item of scored) {
    const list = groups.get(item.spec.category) ?? [];
    list.push(item);
    groups.set(item.spec.category, list);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, items]) => ({
      category,
      specs: items.sort((a, b) => b.score - a.score || a.spec.displayName.localeCompare(b.spec.displayName)).map((i) => i.spec),
    }));
}

/** Flat search results, best first (the double-click quick-add). */
export function searchFlat(catalog: Catalog, query: string, limit = 30): NodeSpec[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const scored: Array<{ spec: NodeSpec; score: number }> = [];
  for (const spec of catalog.values()) {
    const name = `${spec.type} ${spec.displayName}`.toLowerCase();
    const haystack = `${name} ${spec.category} ${spec.description}`.toLowerCase();
    if (!words.every((w) => haystack.includes(w))) continue;
    let score = 0;
    for (const w of words) score += spec.type.toLowerCase() === w ? 10 : name.startsWith(w) ? 4 : name.includes(w) ? 2 : 1;
    scored.push({ spec, score });
  }
  return scored
    .sort((a, b) => b.score - a.score || a.spec.displayName.localeCompare(b.spec.displayName))
    .slice(0, limit)
    .map((s) => s.spec);
}
