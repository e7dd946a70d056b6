/**
 * How a node type is declared: typed sockets and widgets, `defineNode`, the run context, and what is
 * derived from a definition (the ComfyUI `object_info` catalog entry and zod schemas for widget values).
 * The editor draws from the catalog, the runner validates with the zod schemas: both read the same
 * definition, so they agree by construction.
 *
 * @example
 *   export default defineNode({
 *     type: 'EmptyLatentImage',
 *     version: 1,
 *     category: 'latent',
 *     description: 'An all-zero latent of the given size.',
 *     inputs: {
 *       width: int({ default: 512, min: 64, max: 2048, step: 8 }),
 *       height: int({ default: 512, min: 64, max: 2048, step: 8 }),
 *       batch_size: int({ default: 1, min: 1, max: 16 }),
 *     },
 *     outputs: { LATENT: socket('LATENT') },
 *     run(input) {
 *       return { LATENT: emptyLatent(input.width, input.height, input.batch_size) }; // numbers, no casts
 *     },
 *   });
 */
import { z } from 'zod';

import {
  isSocketType,
  type ObjectInfoEntry,
  type ObjectInfoInput,
  type PreviewImage,
  SOCKET_TYPES,
  type SocketType,
  type UiOutput,
  SEED_INPUT_NAMES,
  WIDGET_TYPE_OF_KIND,
} from '../protocol/index.ts';

// ---------------------------------------------------------------------------------------------------
// Socket types (the closed set is the protocol's: a link is only valid between sockets of the same type)

export { isSocketType, SOCKET_TYPES, type PreviewImage, type SocketType, type UiOutput };

/**
 * The TypeScript type of the value carried by each socket type. Empty here (values are `unknown`): the
 * modules that own the values fill it in by declaration merging, e.g. in nodes/socket-values.ts:
 *
 * @example
 *   declare module './schema.ts' {
 *     interface SocketValueTypes { MODEL: UNetModel; LATENT: Latent }
 *   }
 */
export interface SocketValueTypes {}

/** The value a socket of type `T` carries (`unknown` until SocketValueTypes names it). */
export type SocketValue<T extends SocketType> = T extends keyof SocketValueTypes ? SocketValueTypes[T] : unknown;

// ---------------------------------------------------------------------------------------------------
// Input specs (sockets and widgets)

interface SpecBase {
  /** One sentence for the editor's tooltip. */
  description?: string;
  /** An optional input may be left unconnected / unset; `run` then sees `undefined` (or the default). */
  optional?: boolean;
}

export interface SocketSpec<T extends SocketType = SocketType> extends SpecBase {
  kind: 'socket';
  type: T;
}

export interface IntSpec extends SpecBase {
  kind: 'int';
  default?: number;
  min?: number;
  max?: number;
  step?: number;
}

export interface FloatSpec extends SpecBase {
  kind: 'float';
  default?: number;
  min?: number;
  max?: number;
  step?: number;
  /** Precision the editor rounds to (ComfyUI's `round`); not enforced by validation. */
  round?: number;
}

export interface TextSpec extends SpecBase {
  kind: 'text';
  default?: string;
  multiline?: boolean;
}

export interface BooleanSpec extends SpecBase {
  kind: 'boolean';
  default?: boolean;
  labelOn?: string;
  labelOff?: string;
}

/** Options known at definition time, or computed from the host (e.g. the model files in its models dir). */
export type ChoiceOptions<T extends string = string> = readonly T[] | ((env: HostServices) => readonly string[]);

export interface ChoiceSpec<T extends string = string> extends SpecBase {
  kind: 'choice';
  options: ChoiceOptions<T>;
  default?: T;
  /** Values taken besides the listed options (e.g. ComfyUI's annotated file names, `x.png [output]`); keep it cheap. */
  accepts?: (value: string, env: HostServices) => boolean;
}

export type WidgetSpec = IntSpec | FloatSpec | TextSpec | BooleanSpec | ChoiceSpec;
export type InputSpec = SocketSpec | WidgetSpec;
export type InputSpecs = Record<string, InputSpec>;
export type OutputSpecs = Record<string, SocketSpec>;

export function isWidgetSpec(spec: InputSpec): spec is WidgetSpec {
  return spec.kind !== 'socket';
}

type SpecOptions<S> = Omit<S, 'kind' | 'type' | 'options'>;

/** A typed connection point, e.g. `socket('MODEL')`. */
export function socket<const T extends SocketType>(type: T, options: SpecOptions<SocketSpec> = {}): SocketSpec<T> {
  return { kind: 'socket', type, ...options };
}

/** An integer widget (ComfyUI INT), e.g. `int({ default: 20, min: 1, max: 150 })`. */
export function int(options: SpecOptions<IntSpec> = {}): IntSpec {
  return { kind: 'int', ...options };
}

/** A number widget (ComfyUI FLOAT), e.g. `float({ default: 7, min: 0, max: 30, step: 0.5 })`. */
export function float(options: SpecOptions<FloatSpec> = {}): FloatSpec {
  return { kind: 'float', ...options };
}

/** A string widget (ComfyUI STRING), e.g. `text({ multiline: true })` for a prompt. */
export function text(options: SpecOptions<TextSpec> = {}): TextSpec {
  return { kind: 'text', ...options };
}

/** A checkbox widget (ComfyUI BOOLEAN). */
export function boolean(options: SpecOptions<BooleanSpec> = {}): BooleanSpec {
  return { kind: 'boolean', ...options };
}

/**
 * A pick-one widget (ComfyUI COMBO). Literal options type the value:
 * `choice(['auto', 'flash'] as const, { default: 'auto' })` gives `'auto' | 'flash'`. Dynamic options
 * are a function of the host, evaluated at validation and catalog time (keep it cheap and synchronous):
 * `choice((env) => listModelFiles(env.paths?.models))` gives `string`.
 */
export function choice<const T extends string>(
  options: readonly T[] | ((env: HostServices) => readonly string[]),
  config: Omit<SpecOptions<ChoiceSpec<T>>, 'default'> & { default?: NoInfer<T> } = {},
): ChoiceSpec<T> {
  return { kind: 'choice', options, ...config };
}

/** Marks an input optional: `optional(socket('LATENT'))`. */
export function optional<S extends InputSpec>(spec: S): S & { optional: true } {
  return { ...spec, optional: true };
}

// ---------------------------------------------------------------------------------------------------
// Value types inferred from specs

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of one input's value inside `run`. */
export type InputValue<S> =
  S extends SocketSpec<infer T>
    ? SocketValue<T>
    : S extends IntSpec | FloatSpec
      ? number
      : S extends TextSpec
        ? string
        : S extends BooleanSpec
          ? boolean
          : S extends ChoiceSpec<infer T>
            ? T
            : never;

type OptionalKeys<I> = { [K in keyof I]: I[K] extends { optional: true } ? K : never }[keyof I];
type RequiredKeys<I> = Exclude<keyof I, OptionalKeys<I>>;

/** What `run` receives: required inputs present, optional ones possibly `undefined`. */
export type InputValues<I extends InputSpecs> = Simplify<
  { [K in RequiredKeys<I>]: InputValue<I[K]> } & { [K in OptionalKeys<I>]?: InputValue<I[K]> }
>;

/** Only the widget inputs of a node (what a cache fingerprint sees before anything runs). */
export type WidgetValues<I extends InputSpecs> = Simplify<{
  [K in keyof I as I[K] extends SocketSpec ? never : K]: InputValue<I[K]> | (I[K] extends { optional: true } ? undefined : never);
}>;

/** What `run` returns: one value per declared output, keyed by output name. */
export type OutputValues<O extends OutputSpecs> = { [K in keyof O]: O[K] extends SocketSpec<infer T> ? SocketValue<T> : never };

/** A node's result: its outputs, plus `ui` for what the client should show (output nodes). */
export type NodeResult<O extends OutputSpecs> = OutputValues<O> & { ui?: UiOutput };

// ---------------------------------------------------------------------------------------------------
// The run context

/** Directories the host resolves model, input and output names in. */
export interface HostPaths {
  models: string;
  input: string;
  output: string;
  temp: string;
}

/**
 * Services the host (server, CLI, worker) gives to nodes and dynamic options. Extend it by declaration
 * merging (`declare module '.../nodes/schema.ts' { interface HostServices { ... } }`); never read globals.
 */
export interface HostServices {
  paths?: HostPaths;
}

export interface Logger {
  debug(message: string, details?: Record<string, unknown>): void;
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

/** What a node's `run` may use besides its inputs. */
export interface NodeContext {
  readonly nodeId: string;
  readonly nodeType: string;
  /** Aborted when the user interrupts: check it between steps (`signal.throwIfAborted()`) or pass it on. */
  readonly signal: AbortSignal;
  /** Reports progress, e.g. `progress(step, steps)`. */
  progress(value: number, max: number): void;
  /** Shows an intermediate image in the editor. */
  preview(image: PreviewImage): void;
  /** Adds named numbers to this node's stats event (e.g. `{ attentionBytes: 1.2e9 }`). */
  stats(values: Record<string, number>): void;
  /** Messages are prefixed with the node (`KSampler #7: ...`) by the runner. */
  readonly log: Logger;
  readonly services: HostServices;
}

/** The host paths, or an error that says the host gave none. */
export function requirePaths(ctx: Pick<NodeContext, 'services'>): HostPaths {
  const paths = ctx.services.paths;
  if (!paths) throw new Error('the host gave no model/input/output directories; run it through the server or the CLI.');
  return paths;
}

// ---------------------------------------------------------------------------------------------------
// The definition

/** Caching behaviour of a node type; the default caches outputs keyed by inputs and upstream. */
export interface CachePolicy<I extends InputSpecs, O extends OutputSpecs> {
  /** `false`: run every time (side effects such as SaveImage). */
  enabled?: boolean;
  /**
   * ComfyUI's IS_CHANGED: a fingerprint of outside state the widget values point at (a file's mtime or
   * hash), folded into the cache key so a changed file reruns the node.
   */
  fingerprint?(widgets: WidgetValues<I>, services: HostServices): string | Promise<string>;
  /**
   * Per output, the widgets it depends on (default: all): downstream cache keys see only those, so a
   * change of another widget reruns this node but not what takes only this output (LoraLoader's CLIP
   * does not depend on strength_model).
   */
  outputWidgets?: { readonly [K in keyof O]?: readonly (keyof I & string)[] };
  /** Estimated bytes held by the outputs (for the cache's size limit); default: typed arrays found in them. */
  sizeBytes?(outputs: OutputValues<O>): number;
  /** Frees what the outputs hold (e.g. a native model) when the cache evicts them. */
  dispose?(outputs: OutputValues<O>): void | Promise<void>;
}

export interface NodeDefinition<I extends InputSpecs = InputSpecs, O extends OutputSpecs = OutputSpecs> {
  /** Unique type id, stable forever (core nodes keep ComfyUI's names); pack nodes become `pack/Type`. */
  type: string;
  /** Goes up when inputs change meaning; older saved workflows go through `migrate`. */
  version: number;
  /** Slash-separated palette path, e.g. `sampling` or `latent/upscale`. */
  category: string;
  description: string;
  displayName?: string;
  inputs: I;
  /** Output name -> socket; order is the output index used by links. `ui` is reserved. */
  outputs: O;
  /** An output node (SaveImage, PreviewImage) is what a run is for: only what output nodes need runs. */
  outputNode?: boolean;
  cache?: CachePolicy<I, O>;
  /** Upgrades widget values saved with an older `version` of this node type. */
  migrate?(widgets: Record<string, unknown>, fromVersion: number): Record<string, unknown>;
  /**
   * Checks the widget values together, at validation, before anything runs (each value is already in
   * its own range): what `run` would refuse anyway, such as a size the memory budget cannot hold. Only
   * exact checks (no model is loaded here); one problem per input, saying what to do.
   */
  checkWidgets?(widgets: WidgetValues<I>, services: HostServices): WidgetProblem[];
  /**
   * Computes the outputs. A problem with the input is thrown as an Error saying what is wrong and what
   * to do, without naming the node: the runner adds where it happened (`KSampler #7: ...`) once.
   */
  run(input: InputValues<I>, ctx: NodeContext): NodeResult<O> | Promise<NodeResult<O>>;
}

/** A refusal by a node's `checkWidgets`: the validator reports it as `value_out_of_range` on that input. */
export interface WidgetProblem {
  input: string;
  /** One sentence without the node's label (the validator adds it). */
  message: string;
  details?: Record<string, unknown>;
}

/**
 * Any node definition, as the registry and runner hold them: the typed parts (`run`, the cache hooks)
 * are seen with loose argument types, since the runner passes values it has checked against the schema.
 */
export type AnyNodeDefinition = Omit<NodeDefinition<any, any>, 'run' | 'cache' | 'checkWidgets'> & {
  checkWidgets?(widgets: any, services: HostServices): WidgetProblem[];
  cache?: {
    enabled?: boolean;
    fingerprint?(widgets: any, services: HostServices): string | Promise<string>;
    outputWidgets?: Record<string, readonly string[] | undefined>;
    sizeBytes?(outputs: any): number;
    dispose?(outputs: any): void | Promise<void>;
  };
  run(input: any, ctx: NodeContext): any;
};

/** Thrown by `defineNode` for a definition that cannot work; `problems` lists every reason. */
export class NodeDefinitionError extends Error {
  constructor(
    readonly nodeType: string,
    readonly problems: string[],
  ) {
    super(`Node type "${nodeType}" is invalid: ${problems.join('; ')}.`);
    this.name = 'NodeDefinitionError';
  }
}

/**
 * Declares a node type. Input value types of `run` are inferred from `inputs`, its return type from
 * `outputs`. Throws a NodeDefinitionError naming every problem (bad name, default out of range, ...).
 */
export function defineNode<const I extends InputSpecs, const O extends OutputSpecs>(definition: NodeDefinition<I, O>): NodeDefinition<I, O> {
  const problems = checkDefinition(definition);
  if (problems.length > 0) throw new NodeDefinitionError(String((definition as { type?: unknown }).type), problems);
  return definition;
}

const TYPE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z][A-Za-z0-9_]*)?$/;
const INPUT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Every reason a definition (possibly an untyped object from a JS pack) cannot work; empty when fine.
 */
export function checkDefinition(definition: unknown): string[] {
  const problems: string[] = [];
  if (typeof definition !== 'object' || definition === null) return ['a definition must be an object made with defineNode()'];
  const d = definition as Record<string, unknown>;
  if (typeof d.type !== 'string' || !TYPE_NAME.test(d.type)) problems.push(`"type" must be a name like "KSampler" (letters, digits, _), got ${JSON.stringify(d.type)}`);
  if (!Number.isInteger(d.version) || (d.version as number) < 1) problems.push(`"version" must be an integer >= 1, got ${JSON.stringify(d.version)}`);
  if (typeof d.category !== 'string' || d.category === '') problems.push('"category" must be a non-empty string');
  if (typeof d.description !== 'string') problems.push('"description" must be a string');
  if (typeof d.run !== 'function') problems.push('"run" must be a function');
  if (d.outputNode !== undefined && typeof d.outputNode !== 'boolean') problems.push('"outputNode" must be a boolean');
  if (d.checkWidgets !== undefined && typeof d.checkWidgets !== 'function') problems.push('"checkWidgets" must be a function');
  if (typeof d.inputs !== 'object' || d.inputs === null) problems.push('"inputs" must be an object of socket()/widget specs');
  else for (const [name, spec] of Object.entries(d.inputs)) problems.push(...checkInputSpec(name, spec));
  if (typeof d.outputs !== 'object' || d.outputs === null) problems.push('"outputs" must be an object of socket() specs');
  else {
    for (const [name, spec] of Object.entries(d.outputs)) {
      if (name === 'ui') problems.push('output name "ui" is reserved for what the client shows');
      const s = spec as Partial<SocketSpec> | null;
      if (!s || s.kind !== 'socket' || !isSocketType(s.type)) problems.push(`output "${name}" must be socket(<${SOCKET_TYPES.join('|')}>)`);
      else if (s.optional) problems.push(`output "${name}" cannot be optional`);
    }
  }
  return problems;
}

function checkInputSpec(name: string, spec: unknown): string[] {
  const problems: string[] = [];
  if (!INPUT_NAME.test(name)) problems.push(`input name "${name}" must be an identifier (letters, digits, _)`);
  const s = spec as Partial<InputSpec> | null;
  if (!s || typeof s !== 'object') return [...problems, `input "${name}" must be a socket() or widget spec`];
  switch (s.kind) {
    case 'socket':
      if (!isSocketType(s.type)) problems.push(`input "${name}" has unknown socket type ${JSON.stringify(s.type)} (expected ${SOCKET_TYPES.join('|')})`);
      break;
    case 'int':
    case 'float': {
      for (const key of ['default', 'min', 'max', 'step'] as const) {
        const v = s[key];
        if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) problems.push(`input "${name}": ${key} must be a finite number`);
      }
      if (s.min !== undefined && s.max !== undefined && s.min > s.max) problems.push(`input "${name}": min ${s.min} > max ${s.max}`);
      if (s.step !== undefined && s.step <= 0) problems.push(`input "${name}": step must be > 0`);
      if (s.default !== undefined) {
        if (s.kind === 'int' && !Number.isInteger(s.default)) problems.push(`input "${name}": default ${s.default} is not an integer`);
        if ((s.min !== undefined && s.default < s.min) || (s.max !== undefined && s.default > s.max)) problems.push(`input "${name}": default ${s.default} is outside [${s.min ?? '-inf'}, ${s.max ?? 'inf'}]`);
      }
      break;
    }
    case 'text':
      if (s.default !== undefined && typeof s.default !== 'string') problems.push(`input "${name}": default must be a string`);
      break;
    case 'boolean':
      if (s.default !== undefined && typeof s.default !== 'boolean') problems.push(`input "${name}": default must be a boolean`);
      break;
    case 'choice':
      if (typeof s.options === 'function') break;
      if (!Array.isArray(s.options) || s.options.length === 0 || !s.options.every((o) => typeof o === 'string')) problems.push(`input "${name}": options must be a non-empty list of strings or a function`);
      else if (s.default !== undefined && !s.options.includes(s.default)) problems.push(`input "${name}": default ${JSON.stringify(s.default)} is not one of the options`);
      break;
    default:
      problems.push(`input "${name}" must be a socket() or widget spec (int, float, text, boolean, choice)`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Derived: option lists, zod schemas, the object_info catalog entry

/** The options of a choice widget, evaluated against the host; a failing option function gives `error`. */
export function resolveOptions(spec: ChoiceSpec, env: HostServices = {}): { options: readonly string[]; error?: string } {
  if (typeof spec.options !== 'function') return { options: spec.options };
  try {
    return { options: spec.options(env) };
  } catch (error) {
    return { options: [], error: (error as Error).message };
  }
}

/** The zod schema of one widget's value (range, integer, options), derived from its spec. */
export function widgetSchema(spec: WidgetSpec, env: HostServices = {}): z.ZodType {
  switch (spec.kind) {
    case 'int':
    case 'float': {
      let schema = spec.kind === 'int' ? z.number().int() : z.number();
      if (spec.min !== undefined) schema = schema.min(spec.min);
      if (spec.max !== undefined) schema = schema.max(spec.max);
      return schema;
    }
    case 'text':
      return z.string();
    case 'boolean':
      return z.boolean();
    case 'choice': {
      const { options } = resolveOptions(spec, env);
      const accepts = spec.accepts;
      if (accepts) return z.string().refine((v) => options.includes(v) || accepts(v, env), { message: 'not one of the options' });
      return options.length > 0 ? z.enum(options as [string, ...string[]]) : z.never();
    }
  }
}

/**
 * The zod schema of a node's widget values (sockets excluded), e.g. for an API that edits one node.
 * Missing values with a default get it; missing optional ones stay undefined.
 */
export function widgetsSchema(definition: AnyNodeDefinition, env: HostServices = {}): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(definition.inputs as InputSpecs)) {
    if (!isWidgetSpec(spec)) continue;
    const schema = widgetSchema(spec, env);
    shape[name] = spec.default !== undefined ? schema.default(spec.default) : spec.optional ? schema.optional() : schema;
  }
  return z.object(shape);
}

function objectInfoInput(spec: InputSpec, env: HostServices): ObjectInfoInput {
  const config: Record<string, unknown> = {};
  if (spec.description) config.tooltip = spec.description;
  switch (spec.kind) {
    case 'socket':
      return [spec.type, config];
    case 'choice': {
      if (spec.default !== undefined) config.default = spec.default;
      return [[...resolveOptions(spec, env).options], config];
    }
    case 'int':
    case 'float':
      for (const key of ['default', 'min', 'max', 'step'] as const) if (spec[key] !== undefined) config[key] = spec[key];
      if (spec.kind === 'float' && spec.round !== undefined) config.round = spec.round;
      return [WIDGET_TYPE_OF_KIND[spec.kind], config];
    case 'text':
      if (spec.default !== undefined) config.default = spec.default;
      if (spec.multiline) config.multiline = true;
      return ['STRING', config];
    case 'boolean':
      if (spec.default !== undefined) config.default = spec.default;
      if (spec.labelOn) config.label_on = spec.labelOn;
      if (spec.labelOff) config.label_off = spec.labelOff;
      return ['BOOLEAN', config];
  }
}

/** The catalog entry (protocol's ObjectInfoEntry) of a definition, with dynamic options evaluated against `env`. */
export function objectInfo(definition: AnyNodeDefinition, env: HostServices = {}, pack: string | null = null): ObjectInfoEntry {
  const entry: ObjectInfoEntry = {
    input: { required: {}, optional: {} },
    input_order: { required: [], optional: [] },
    output: [],
    output_is_list: [],
    output_name: [],
    output_tooltips: [],
    name: definition.type,
    display_name: definition.displayName ?? definition.type,
    description: definition.description,
    category: definition.category,
    python_module: pack ? `packs.${pack}` : 'nodes',
    output_node: definition.outputNode === true,
    version: definition.version,
    pack,
  };
  for (const [name, spec] of Object.entries(definition.inputs as InputSpecs)) {
    const group = spec.optional ? 'optional' : 'required';
    entry.input[group][name] = objectInfoInput(spec, env);
    // ComfyUI's frontend draws a seed with its control after generate (and saves that value after it).
    if (spec.kind === 'int' && SEED_INPUT_NAMES.has(name)) entry.input[group][name][1].control_after_generate = true;
    entry.input_order[group].push(name);
  }
  for (const [name, spec] of Object.entries(definition.outputs as OutputSpecs)) {
    entry.output.push(spec.type);
    entry.output_is_list.push(false);
    entry.output_name.push(name);
    entry.output_tooltips.push(spec.description ?? '');
  }
  return entry;
}

/** Output names in index order (a link's output index points into this list). */
export function outputNames(definition: AnyNodeDefinition): string[] {
  return Object.keys(definition.outputs as OutputSpecs);
}
