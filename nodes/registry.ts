/**
 * The set of node types a host knows: core nodes under their own names, pack nodes namespaced as
 * `pack/NodeType`. A bad or duplicate definition is reported (naming the pack) and skipped; the rest
 * still load. The registry also produces the catalog (ComfyUI `object_info` shape).
 *
 * @example
 *   const registry = new NodeRegistry();
 *   registry.registerAll(coreNodes);
 *   const problems = registry.registerPack('upscale', upscalePack); // 'upscale/ESRGAN', ...
 *   for (const p of problems) log.warn(p.message, p.details);
 *   res.json(registry.catalog({ paths }));
 */
import { type Issue, type NodeSpec, type ObjectInfoEntry, parseEntry } from '../protocol/index.ts';
import { type AnyNodeDefinition, checkDefinition, type HostServices, objectInfo } from './schema.ts';

interface Entry {
  definition: AnyNodeDefinition;
  pack: string | null;
}

const PACK_NAME = /^[a-z0-9][a-z0-9_.-]*$/i;

export class NodeRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Every refusal so far, in order (a host may show them at startup). */
  readonly issues: Issue[] = [];

  /**
   * Adds one definition, core (`pack` null) or from a pack (registered as `pack/Type`). Returns the
   * refusal, or null when it was added.
   */
  register(definition: unknown, pack: string | null = null): Issue | null {
    const issue = this.tryRegister(definition, pack);
    if (issue) this.issues.push(issue);
    return issue;
  }

  /** Adds core definitions; returns the refusals (the others are added). */
  registerAll(definitions: readonly unknown[]): Issue[] {
    return definitions.map((d) => this.register(d)).filter((i): i is Issue => i !== null);
  }

  /** Adds a pack's definitions as `pack/Type`; returns the refusals (the others are added). */
  registerPack(pack: string, definitions: readonly unknown[]): Issue[] {
    if (!PACK_NAME.test(pack)) {
      const issue: Issue = {
        code: 'node_definition_invalid',
        message: `Node pack "${pack}": its name must be letters, digits, "_", "-" or "." (starting with a letter or digit); none of its nodes were added.`,
        details: { pack },
      };
      this.issues.push(issue);
      return [issue];
    }
    return definitions.map((d) => this.register(d, pack)).filter((i): i is Issue => i !== null);
  }

  /** A copy that can be changed without changing this one (a worker adds the subgraph types a job brings). */
  clone(): NodeRegistry {
    const copy = new NodeRegistry();
    for (const [type, entry] of this.entries) copy.entries.set(type, entry);
    return copy;
  }

  /** Removes a type; true when it was there. */
  remove(type: string): boolean {
    return this.entries.delete(type);
  }

  get(type: string): AnyNodeDefinition | undefined {
    return this.entries.get(type)?.definition;
  }

  has(type: string): boolean {
    return this.entries.has(type);
  }

  /** The pack that added a type (null for core, undefined when unknown). */
  packOf(type: string): string | null | undefined {
    return this.entries.get(type)?.pack;
  }

  /** Every registered type name, in registration order. */
  types(): string[] {
    return [...this.entries.keys()];
  }

  definitions(): AnyNodeDefinition[] {
    return [...this.entries.values()].map((e) => e.definition);
  }

  /** One type as the catalog describes it (protocol's NodeSpec), e.g. for cutting a subgraph; undefined when unknown. */
  nodeSpec(type: string, env: HostServices = {}): NodeSpec | undefined {
    const entry = this.entries.get(type);
    return entry ? parseEntry(type, objectInfo(entry.definition, env, entry.pack)) : undefined;
  }

  /** The catalog as ComfyUI's `/object_info` returns it, dynamic options evaluated against `env`. */
  catalog(env: HostServices = {}): Record<string, ObjectInfoEntry> {
    const out: Record<string, ObjectInfoEntry> = {};
    for (const [type, entry] of this.entries) out[type] = objectInfo(entry.definition, env, entry.pack);
    return out;
  }

  private tryRegister(definition: unknown, pack: string | null): Issue | null {
    const where = pack ? `Node pack "${pack}"` : 'Core nodes';
    const rawType = (definition as { type?: unknown } | null)?.type;
    const shownType = typeof rawType === 'string' ? rawType : undefined;
    const problems = checkDefinition(definition);
    if (shownType?.includes('/')) {
      if (!pack) problems.push('only pack nodes are namespaced ("pack/Type"); core node types have no "/"');
      else if (!shownType.startsWith(`${pack}/`)) problems.push(`its namespace must be the pack's own ("${pack}/...")`);
    }
    if (problems.length > 0) {
      return {
        code: 'node_definition_invalid',
        message: `${where}: node type ${shownType ? `"${shownType}"` : '(unnamed)'} was not added: ${problems.join('; ')}.`,
        nodeType: shownType,
        details: { pack, problems },
      };
    }
    const base = definition as AnyNodeDefinition;
    const type = pack && !base.type.startsWith(`${pack}/`) ? `${pack}/${base.type}` : base.type;
    const existing = this.entries.get(type);
    if (existing) {
      const owner = existing.pack ? `pack "${existing.pack}"` : 'the core nodes';
      return {
        code: 'node_type_duplicate',
        message: `${where}: node type "${type}" is already registered by ${owner}; rename one of them (the first one is kept).`,
        nodeType: type,
        details: { pack },
      };
    }
    this.entries.set(type, { definition: type === base.type ? base : { ...base, type }, pack });
    return null;
  }
}
