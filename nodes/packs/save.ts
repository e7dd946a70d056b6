/**
 * Turning an editor selection into a node type, and saving it in a pack.
 *
 * exportSubgraph cuts the selected nodes out of a workflow with protocol's cutSubgraph (the cut the
 * editor's "save as node" makes too) and refuses a selection nothing would run.
 * saveSubgraph checks the result (and, with a registry, checks it against the node types: inner types
 * known, targets and sources of the declared types, every inner input fed) and adds it to the pack's
 * `latentflow.json`, written atomically; a type that is already there or registered is refused.
 * The server's POST /api/packs/subgraphs saves into `<data>/packs/user` this way.
 *
 * @example
 *   const json = exportSubgraph(workflow, ['6', '7', '3'], { type: 'PromptSampler', widgets: [{ node: '6', input: 'text', name: 'prompt' }] }, registry);
 *   const saved = await saveSubgraph(path.join(dataDir, 'packs', 'user'), json, { registry });  // saved.type: 'user/PromptSampler'
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import {
  asLink,
  cutSubgraph,
  type CutOptions,
  type Issue,
  parseWorkflow,
  type SubgraphJson,
  type SubgraphPackJson,
  subgraphPackSchema,
  WIDGET_TYPE_OF_KIND,
} from '../../protocol/index.ts';
import type { NodeRegistry } from '../registry.ts';
import { type InputSpecs, outputNames, type OutputSpecs, widgetSchema } from '../schema.ts';
import { checkSubgraph, resolveInnerType, type Subgraph, subgraphDefinition } from './subgraph.ts';
import { SubgraphError } from './subgraph-error.ts';

// ---------------------------------------------------------------------------------------------------
// Export: a selection -> subgraph JSON

export type ExportSubgraphOptions = Omit<CutOptions, 'displayName'>;

/**
 * The subgraph JSON for the nodes `selection` of `workflow` (either form; a saved form keeps its node
 * positions in the fragment), cut by protocol's cutSubgraph. Throws a SubgraphError naming what is
 * wrong (unknown ids or types, a selection nothing would run).
 */
export function exportSubgraph(workflow: unknown, selection: readonly string[], options: ExportSubgraphOptions, registry: NodeRegistry): SubgraphJson {
  const refuse = (problems: string[]): never => {
    throw new SubgraphError({
      code: 'node_definition_invalid',
      message: `Subgraph "${options.type}" cannot be made from this selection: ${problems.join('; ')}.`,
      nodeType: options.type,
      details: { pack: null, reason: 'export', problems },
    });
  };
  const parsed = parseWorkflow(workflow, registry);
  if (!parsed.graph || parsed.issues.length > 0) refuse(parsed.issues.map((i) => i.message));
  const cut = cutSubgraph({ graph: parsed.graph!, ...(parsed.saved ? { saved: parsed.saved } : {}) }, selection, options, (type) => registry.nodeSpec(type), registry);
  if (!cut.subgraph) return refuse(cut.problems);
  if (cut.linksOut === 0 && !cut.subgraph.outputNode) refuse(['nothing outside the selection uses it and it has no output node, so it would never run; select the nodes that feed a link out of it']);
  const checked = checkSubgraph(cut.subgraph, 'export');
  if (!checked.subgraph) refuse(checked.problems);
  return cut.subgraph;
}

// ---------------------------------------------------------------------------------------------------
// Checking a subgraph against the registered node types

/**
 * Every reason `subgraph` cannot run with the node types of `registry`: unknown inner types, targets
 * that are not inputs of the declared kind, outputs that are not of the declared socket type, inner
 * links of the wrong type, inner widget values the node refuses, required inner inputs nothing feeds.
 */
export function checkSubgraphTypes(subgraph: Subgraph, registry: NodeRegistry): string[] {
  const problems: string[] = [];
  const { graph, json, pack } = subgraph;
  const definitionOf = (id: string) => registry.get(resolveInnerType(registry, pack, graph[id].class_type));
  for (const [id, node] of Object.entries(graph)) {
    if (!definitionOf(id)) problems.push(`inner node "${id}" has type "${node.class_type}", which is not registered`);
  }
  if (problems.length > 0) return problems;

  const fed = new Set<string>();
  for (const input of json.inputs) {
    for (const target of input.targets) {
      fed.add(`${target.node}\u0000${target.input}`);
      const definition = definitionOf(target.node)!;
      const spec = (definition.inputs as InputSpecs)[target.input];
      const where = `input "${input.name}" targets ${definition.type} #${target.node} "${target.input}"`;
      if (!spec) problems.push(`${where}, which it does not have`);
      else if (spec.kind === 'socket' ? spec.type !== input.type : WIDGET_TYPE_OF_KIND[spec.kind] !== input.type) {
        problems.push(`${where}, which is ${spec.kind === 'socket' ? spec.type : WIDGET_TYPE_OF_KIND[spec.kind]}, not ${input.type}`);
      }
    }
  }
  for (const output of json.outputs) {
    const definition = definitionOf(output.from.node)!;
    const name = outputNames(definition)[output.from.output];
    const socketType = name === undefined ? undefined : (definition.outputs as OutputSpecs)[name].type;
    if (socketType === undefined) problems.push(`output "${output.name}" comes from output ${output.from.output} of ${definition.type} #${output.from.node}, which has ${outputNames(definition).length} outputs`);
    else if (socketType !== output.type) problems.push(`output "${output.name}" is declared ${output.type} but ${definition.type} #${output.from.node} output ${output.from.output} is ${socketType}`);
  }
  for (const [id, node] of Object.entries(graph)) {
    const definition = definitionOf(id)!;
    for (const [input, spec] of Object.entries(definition.inputs as InputSpecs)) {
      if (fed.has(`${id}\u0000${input}`)) continue;
      const value = node.inputs[input];
      const where = `inner ${definition.type} #${id} "${input}"`;
      if (spec.kind === 'socket') {
        const link = asLink(value);
        if (!link) {
          if (!spec.optional) problems.push(`${where} is not linked inside the subgraph and no subgraph input feeds it`);
          continue;
        }
        const source = definitionOf(link[0])!;
        const name = outputNames(source)[link[1]];
        const socketType = name === undefined ? undefined : (source.outputs as OutputSpecs)[name].type;
        if (socketType !== spec.type) problems.push(`${where} takes ${spec.type} but is linked to ${source.type} #${link[0]} output ${link[1]} (${socketType ?? 'missing'})`);
      } else if (value === undefined) {
        if (spec.default === undefined && !spec.optional) problems.push(`${where} has no value and no default`);
      } else if (!(spec.kind === 'choice' && typeof spec.options === 'function') && !widgetSchema(spec).safeParse(value).success) {
        problems.push(`${where} is ${JSON.stringify(value)}, which it does not accept`);
      }
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Save: subgraph JSON -> <packDir>/latentflow.json

export interface SaveSubgraphOptions {
  /** Checks the subgraph against its node types, refuses a type it already has, and registers the new one. */
  registry?: NodeRegistry;
  /** The pack's name when its file does not exist yet (default: the folder's name, e.g. "user"). */
  packName?: string;
}

export interface SavedSubgraph {
  /** The registered type, `<pack>/<type>`. */
  type: string;
  pack: string;
  file: string;
  subgraph: SubgraphJson;
}

/** Saves in one pack file run one after another (read, add, write), so two saves never lose one. */
const fileLocks = new Map<string, Promise<unknown>>();

/**
 * Adds a subgraph to `<packDir>/latentflow.json` (created with the folder if needed). Refuses, with a
 * SubgraphError: an invalid subgraph (`node_definition_invalid`), a type the file or registry already
 * has (`node_type_duplicate`), a pack file that exists but is not a valid pack (`pack_invalid`, left
 * untouched). The file is written to a temporary name and renamed, so a reader never sees half of it.
 */
export async function saveSubgraph(packDir: string, subgraphJson: unknown, options: SaveSubgraphOptions = {}): Promise<SavedSubgraph> {
  const file = path.join(path.resolve(packDir), 'latentflow.json');
  const previous = fileLocks.get(file) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => saveNow(packDir, file, subgraphJson, options));
  fileLocks.set(file, run);
  try {
    return await run;
  } finally {
    if (fileLocks.get(file) === run) fileLocks.delete(file);
  }
}

async function saveNow(packDir: string, file: string, subgraphJson: unknown, options: SaveSubgraphOptions): Promise<SavedSubgraph> {
  const pack = await readPack(file, options.packName ?? path.basename(path.resolve(packDir)));
  const type = typeof (subgraphJson as { type?: unknown } | null)?.type === 'string' ? (subgraphJson as { type: string }).type : undefined;
  const refuse = (code: Issue['code'], message: string, problems?: string[]): never => {
    throw new SubgraphError({ code, message, ...(type ? { nodeType: `${pack.name}/${type}` } : {}), details: { pack: pack.name, dir: packDir, reason: 'save', ...(problems ? { problems } : {}) } });
  };
  const { subgraph, problems } = checkSubgraph(subgraphJson, pack.name);
  if (!subgraph) return refuse('node_definition_invalid', `Subgraph ${type ? `"${type}"` : '(unnamed)'} was not saved: ${problems.join('; ')}.`, problems);
  const fullType = `${pack.name}/${subgraph.json.type}`;
  if (pack.subgraphs.some((s) => (s as { type?: unknown }).type === subgraph.json.type) || options.registry?.has(fullType)) {
    refuse('node_type_duplicate', `Subgraph "${subgraph.json.type}" was not saved: node type "${fullType}" already exists; choose another name.`);
  }
  if (options.registry?.has(subgraph.json.type)) {
    refuse('node_type_duplicate', `Subgraph "${subgraph.json.type}" was not saved: "${subgraph.json.type}" is already a node type (${options.registry.packOf(subgraph.json.type) ?? 'core'}), and subgraphs look inner types up by name; choose another name.`);
  }
  if (options.registry) {
    const typeProblems = checkSubgraphTypes(subgraph, options.registry);
    if (typeProblems.length > 0) refuse('node_definition_invalid', `Subgraph "${subgraph.json.type}" was not saved: ${typeProblems.join('; ')}.`, typeProblems);
  }

  const next: SubgraphPackJson = { ...pack, subgraphs: [...pack.subgraphs, subgraph.json] };
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.promises.writeFile(temp, `${JSON.stringify(next, null, 2)}\n`, { flag: 'wx' });
    await fs.promises.rename(temp, file);
  } catch (error) {
    await fs.promises.rm(temp, { force: true });
    throw error;
  }
  if (options.registry) {
    const issues = options.registry.registerPack(pack.name, [subgraphDefinition(subgraph, options.registry)]);
    if (issues.length > 0) throw new SubgraphError({ ...issues[0], details: { ...issues[0].details, dir: packDir } });
  }
  return { type: fullType, pack: pack.name, file, subgraph: subgraph.json };
}

/** The pack file's content, or a new empty pack when it does not exist. */
async function readPack(file: string, defaultName: string): Promise<SubgraphPackJson> {
  let text: string;
  try {
    text = await fs.promises.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    if (!subgraphPackSchema.shape.name.safeParse(defaultName).success) {
      throw new SubgraphError({ code: 'pack_invalid', message: `Pack folder name "${defaultName}" cannot be a pack name (letters, digits, "_", "-", "."); pass packName.`, details: { pack: defaultName, reason: 'save' } });
    }
    return { name: defaultName, version: '1.0.0', subgraphs: [] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SubgraphError({ code: 'pack_invalid', message: `${file} is not valid JSON (${(error as Error).message}); it was left as it is: fix or move it.`, details: { pack: null, reason: 'save' } });
  }
  const parsed = subgraphPackSchema.safeParse(json);
  if (!parsed.success) {
    throw new SubgraphError({ code: 'pack_invalid', message: `${file} is not a subgraph pack (${parsed.error.issues.map((i) => `"${i.path.join('.')}" ${i.message}`).join('; ')}); it was left as it is: fix or move it.`, details: { pack: null, reason: 'save' } });
  }
  return json as SubgraphPackJson; // as written: fields this version does not know are kept
}
