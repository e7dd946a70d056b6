/**
 * The node catalog: what GET /api/node-types (and ComfyUI's /object_info) answers, one entry per node
 * type in ComfyUI's `object_info` shape plus latentflow's `version` and `pack`, and its reading into a
 * NodeSpec: the inputs in order, each a socket or a widget with everything needed to draw, validate or
 * expose it. The server derives entries from node definitions (nodes/schema.ts objectInfo); the editor
 * and the subgraph cutter read them here.
 *
 * @example
 *   const catalog = parseCatalog(await (await fetch('/api/node-types')).json());
 *   catalog.get('KSampler')!.inputs.find((i) => i.name === 'steps');   // { kind: 'int', min: 1, max: 150, ... }
 */

/** The closed set of socket types; a link is only valid between sockets of the same type. */
export const SOCKET_TYPES = ['MODEL', 'CLIP', 'VAE', 'CONDITIONING', 'LATENT', 'IMAGE', 'SAMPLER', 'SIGMAS', 'NOISE', 'GUIDER', 'MASK', 'UPSCALE_MODEL', 'CONTROL_NET'] as const;
export type SocketType = (typeof SOCKET_TYPES)[number];

export function isSocketType(value: unknown): value is SocketType {
  return typeof value === 'string' && (SOCKET_TYPES as readonly string[]).includes(value);
}

/** ComfyUI's widget types, as object_info and subgraph inputs name them. */
export const WIDGET_TYPES = ['INT', 'FLOAT', 'STRING', 'BOOLEAN', 'COMBO'] as const;
export type WidgetType = (typeof WIDGET_TYPES)[number];

/** One input as object_info writes it: `[type | options, config]`. */
export type ObjectInfoInput = [string | string[], Record<string, unknown>];

/** A catalog entry: ComfyUI's `object_info` shape plus latentflow's `version` and `pack`. */
export interface ObjectInfoEntry {
  input: { required: Record<string, ObjectInfoInput>; optional: Record<string, ObjectInfoInput> };
  input_order: { required: string[]; optional: string[] };
  output: SocketType[];
  output_is_list: boolean[];
  output_name: string[];
  output_tooltips: string[];
  name: string;
  display_name: string;
  description: string;
  category: string;
  python_module: string;
  output_node: boolean;
  /** latentflow: the node type's version. */
  version: number;
  /** latentflow: the pack that added it, null for core nodes. */
  pack: string | null;
}

/** GET /api/node-types: the catalog, by node type. */
export type ObjectInfo = Record<string, ObjectInfoEntry>;

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

/** Inputs ComfyUI draws with a control after generate (fixed/increment/decrement/randomize) by name; others say `control_after_generate`. */
export const SEED_INPUT_NAMES: ReadonlySet<string> = new Set(['seed', 'noise_seed']);

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
      const spec: NumberInput = { ...base, kind, seed: kind === 'int' && (SEED_INPUT_NAMES.has(name) || config.control_after_generate === true) };
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

/** The object_info widget type of each widget kind (a choice is a COMBO). */
export const WIDGET_TYPE_OF_KIND: Readonly<Record<WidgetKind, WidgetType>> = { int: 'INT', float: 'FLOAT', text: 'STRING', boolean: 'BOOLEAN', choice: 'COMBO' };
