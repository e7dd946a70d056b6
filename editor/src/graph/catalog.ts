/**
 * The node catalog as the editor uses it: each object_info entry from GET /api/node-types turned into a
 * NodeSpec with its inputs in order, each one a socket or a widget with everything needed to draw it.
 */
import type { ObjectInfo, ObjectInfoEntry, ObjectInfoInput } from '../api/types.ts';

export type WidgetKind = 'int' | 'float' | 'text' | 'boolean' | 'choice';

interface InputBase {
  name: string;
  optional: boolean;
  tooltip?: string;
}

export interface SocketInput extends InputBase {
  kind: 'socket';
  /** The socket type, e.g. `LATENT`. */
  type: string;
}

export interface NumberInput extends InputBase {
  kind: 'int' | 'float';
  default?: number;
  min?: number;
  max?: number;
  step?: number;
  /** Float precision (ComfyUI's `round`), e.g. 0.01. */
  round?: number;
  /** A seed: drawn with a randomize/fixed/increment/decrement control. */
  seed: boolean;
}

export interface TextInput extends InputBase {
  kind: 'text';
  default?: string;
  multiline: boolean;
}

export interface BooleanInput extends InputBase {
  kind: 'boolean';
  default?: boolean;
  labelOn?: string;
  labelOff?: string;
}

export interface ChoiceInput extends InputBase {
  kind: 'choice';
  options: string[];
  default?: string;
}

export type WidgetInput = NumberInput | TextInput | BooleanInput | ChoiceInput;
export type InputDef = SocketInput | WidgetInput;

export interface OutputDef {
  name: string;
  type: string;
  index: number;
  tooltip?: string;
}

export interface NodeSpec {
  type: string;
  displayName: string;
  description: string;
  /** Slash-separated palette path, e.g. `sampling` or `latent/upscale`. */
  category: string;
  outputNode: boolean;
  pack: string | null;
  version?: number;
  inputs: InputDef[];
  outputs: OutputDef[];
}

export type Catalog = Map<string, NodeSpec>;

export function isWidgetInput(input: InputDef): input is WidgetInput {
  return input.kind !== 'socket';
}

const SEED_NAMES = new Set(['seed', 'noise_seed']);

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** One input from its object_info `[type | options, config]`. */
export function parseInput(name: string, raw: ObjectInfoInput, optional: boolean): InputDef {
  const [type, config = {}] = raw;
  const tooltip = typeof config.tooltip === 'string' ? config.tooltip : undefined;
  const base = { name, optional, ...(tooltip ? { tooltip } : {}) };
  if (Array.isArray(type) || type === 'COMBO') {
    const options = (Array.isArray(type) ? type : Array.isArray(config.options) ? config.options : []).map(String);
    return { ...base, kind: 'choice', options, ...(typeof config.default === 'string' ? { default: config.default } : {}) };
  }
  switch (type) {
    case 'INT':
    case 'FLOAT': {
      const kind = type === 'INT' ? 'int' : 'float';
      const spec: NumberInput = { ...base, kind, seed: kind === 'int' && (SEED_NAMES.has(name) || config.control_after_generate === true) };
      for (const key of ['default', 'min', 'max', 'step', 'round'] as const) {
        const v = num(config[key]);
        if (v !== undefined) spec[key] = v;
      }
      return spec;
    }
    case 'STRING':
      return { ...base, kind: 'text', multiline: config.multiline === true, ...(typeof config.default === 'string' ? { default: config.default } : {}) };
    case 'BOOLEAN':
      return {
        ...base,
        kind: 'boolean',
        ...(typeof config.default === 'boolean' ? { default: config.default } : {}),
        ...(typeof config.label_on === 'string' ? { labelOn: config.label_on } : {}),
        ...(typeof config.label_off === 'string' ? { labelOff: config.label_off } : {}),
      };
    default:
      return { ...base, kind: 'socket', type };
  }
}

/** A NodeSpec from its object_info entry. */
export function parseEntry(type: string, entry: ObjectInfoEntry): NodeSpec {
  const inputs: InputDef[] = [];
  for (const group of ['required', 'optional'] as const) {
    const raw = entry.input?.[group] ?? {};
    const order = entry.input_order?.[group] ?? Object.keys(raw);
    const names = [...order.filter((n) => n in raw), ...Object.keys(raw).filter((n) => !order.includes(n))];
    for (const name of names) inputs.push(parseInput(name, raw[name], group === 'optional'));
  }
  const outputs = (entry.output ?? []).map((socketType, index) => ({
    name: entry.output_name?.[index] ?? socketType,
    type: socketType,
    index,
    ...(entry.output_tooltips?.[index] ? { tooltip: entry.output_tooltips[index] } : {}),
  }));
  return {
    type,
    displayName: entry.display_name || entry.name || type,
    description: entry.description ?? '',
    category: entry.category || 'other',
    outputNode: entry.output_node === true,
    pack: entry.pack ?? null,
    ...(entry.version !== undefined ? { version: entry.version } : {}),
    inputs,
    outputs,
  };
}

export function parseCatalog(info: ObjectInfo): Catalog {
  const catalog: Catalog = new Map();
  for (const [type, entry] of Object.entries(info)) catalog.set(type, parseEntry(type, entry));
  return catalog;
}

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
