/**
 * Loading node packs from the configured pack directories (and nowhere else). In each directory:
 *
 * - a folder (or `node_modules/<pkg>`, `node_modules/@scope/<pkg>`) whose package.json has a
 *   `latentflow` field is a CODE pack:
 *     "latentflow": { "name": "upscale", "version": "1.0.0", "nodes": "./index.ts" }
 *   Its entry point (TypeScript through tsx, or JavaScript) exports node definitions: a default export
 *   array (or one definition), or named exports. It must lie inside the pack's folder.
 * - a folder with `latentflow.json`, or a single `<anything>.latentflow.json` file, is a pure-JSON
 *   SUBGRAPH pack (subgraph.ts); no code runs from it.
 *
 * Node types register as `<pack name>/<Type>`. A pack with a bad manifest, an entry point that throws,
 * or a name already taken is reported (`pack_invalid`, pack and reason named) and skipped; a bad or
 * duplicate node type is reported and the pack's other types still load; the other packs always do.
 * Directories are scanned in the order given, entries in name order, so the first of two packs with
 * the same name wins, whatever the file system lists first.
 *
 * @example
 *   const report = await loadPacks(defaultPackDirs(options.dataDir), registry);
 *   for (const issue of report.issues) log.warn(issue.message, issue.details);
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import type { NodeRegistry } from '../registry.ts';
import { type Issue, type LoadedPack, subgraphPackSchema } from '../../protocol/index.ts';
import { checkSubgraph, subgraphDefinition } from './subgraph.ts';

export type { LoadedPack };

export interface PackLoadReport {
  packs: LoadedPack[];
  /** Packs and node types that were not loaded, each naming the pack and the reason. */
  issues: Issue[];
}

/** The pack directories of a data directory: `<data>/packs` (saved subgraphs go to `<data>/packs/user`). */
export function defaultPackDirs(dataDir: string): string[] {
  return [path.join(dataDir, 'packs')];
}

const PACK_NAME = /^[a-z0-9][a-z0-9_.-]*$/i;
const SUBGRAPH_FILE = 'latentflow.json';
const SUBGRAPH_FILE_SUFFIX = '.latentflow.json';

/** Loads every pack found in `dirs` into `registry`. A directory that does not exist holds no packs. */
export async function loadPacks(dirs: readonly string[], registry: NodeRegistry): Promise<PackLoadReport> {
  const report: PackLoadReport = { packs: [], issues: [] };
  const loaded = new Map<string, string>();
  for (const dir of dirs) {
    for (const candidate of findCandidates(path.resolve(dir), report)) {
      if (candidate.kind === 'file') loadSubgraphPack(candidate.path, candidate.path, registry, report, loaded);
      else await loadFolder(candidate.path, candidate.inNodeModules, registry, report, loaded);
    }
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------
// Discovery

interface Candidate {
  kind: 'folder' | 'file';
  path: string;
  inNodeModules: boolean;
}

function findCandidates(dir: string, report: PackLoadReport): Candidate[] {
  const out: Candidate[] = [];
  for (const name of listDir(dir, report)) {
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    if (name === 'node_modules') {
      for (const pkg of listDir(full, report)) {
        if (pkg.startsWith('.')) continue;
        if (pkg.startsWith('@')) {
          for (const scoped of listDir(path.join(full, pkg), report)) if (isDirectory(path.join(full, pkg, scoped))) out.push({ kind: 'folder', path: path.join(full, pkg, scoped), inNodeModules: true });
        } else if (isDirectory(path.join(full, pkg))) out.push({ kind: 'folder', path: path.join(full, pkg), inNodeModules: true });
      }
    } else if (isDirectory(full)) out.push({ kind: 'folder', path: full, inNodeModules: false });
    else if (name.endsWith(SUBGRAPH_FILE_SUFFIX)) out.push({ kind: 'file', path: full, inNodeModules: false });
  }
  return out;
}

/** Entry names, sorted; a missing directory is empty, an unreadable one is reported. */
function listDir(dir: string, report: PackLoadReport): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      report.issues.push({ code: 'pack_invalid', message: `Pack directory "${dir}" could not be read (${code}); check its permissions.`, details: { pack: null, dir, reason: 'unreadable', error: String(error) } });
    }
    return [];
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// One folder: a code pack (package.json with `latentflow`) or a subgraph pack (latentflow.json)

async function loadFolder(dir: string, inNodeModules: boolean, registry: NodeRegistry, report: PackLoadReport, loaded: Map<string, string>): Promise<void> {
  const packageFile = path.join(dir, 'package.json');
  const subgraphFile = path.join(dir, SUBGRAPH_FILE);
  let pkg: Record<string, unknown> | undefined;
  if (fs.existsSync(packageFile)) {
    const read = readJson(packageFile);
    if ('error' in read) {
      // Outside node_modules a folder with a broken package.json was meant to be something; say so.
      if (!inNodeModules || read.text.includes('"latentflow"')) fail(report, null, dir, 'manifest', `${packageFile} is not valid JSON (${read.error}); fix it.`);
      return;
    }
    pkg = typeof read.json === 'object' && read.json !== null ? (read.json as Record<string, unknown>) : undefined;
  }
  if (pkg && Object.hasOwn(pkg, 'latentflow')) {
    if (fs.existsSync(subgraphFile)) {
      const named = (pkg.latentflow as { name?: unknown } | null)?.name ?? pkg.name;
      fail(report, typeof named === 'string' ? named : null, dir, 'ambiguous', `Pack folder "${dir}" has both a package.json "latentflow" field and ${SUBGRAPH_FILE}; ${SUBGRAPH_FILE} was ignored (a folder is one pack: move the subgraphs to a folder of their own).`);
    }
    await loadCodePack(dir, pkg, registry, report, loaded);
  } else if (!inNodeModules && fs.existsSync(subgraphFile)) {
    loadSubgraphPack(subgraphFile, dir, registry, report, loaded);
  }
}

async function loadCodePack(dir: string, pkg: Record<string, unknown>, registry: NodeRegistry, report: PackLoadReport, loaded: Map<string, string>): Promise<void> {
  const manifest = pkg.latentflow;
  const where = `${path.join(dir, 'package.json')} "latentflow"`;
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return fail(report, null, dir, 'manifest', `${where} must be an object { "name", "version", "nodes": "./index.ts" }.`);
  }
  const m = manifest as Record<string, unknown>;
  const name = m.name ?? pkg.name;
  const version = m.version ?? pkg.version;
  if (typeof name !== 'string' || !PACK_NAME.test(name)) {
    return fail(report, typeof name === 'string' ? name : null, dir, 'manifest', `${where}: "name" must be letters, digits, "_", "-" or "." (starting with a letter or digit), got ${JSON.stringify(name)}; it becomes the node types' namespace.`);
  }
  if (typeof version !== 'string' || version === '') return fail(report, name, dir, 'manifest', `Node pack "${name}": ${where} needs a "version" string.`);
  if (typeof m.nodes !== 'string' || m.nodes === '') return fail(report, name, dir, 'manifest', `Node pack "${name}": ${where} needs "nodes", the entry point that exports its node definitions (e.g. "./index.ts").`);
  const entry = entryInside(dir, m.nodes);
  if ('error' in entry) return fail(report, name, dir, 'manifest', `Node pack "${name}": ${where} "nodes" ${entry.error}.`);
  if (takenBy(report, loaded, name, dir)) return;

  let module: Record<string, unknown>;
  try {
    module = await importEntry(entry.file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(report, name, dir, 'import_failed', `Node pack "${name}": loading ${entry.file} failed: ${reason}`, { error: reason });
  }
  const definitions = definitionsOf(module);
  if (definitions.length === 0) {
    return fail(report, name, dir, 'no_nodes', `Node pack "${name}": ${entry.file} exports no node definitions; export them as a default array (export default [MyNode]) or as named exports.`);
  }
  register(name, version, dir, 'code', definitions, registry, report, loaded);
}

/** The entry point's absolute path, refused when it leads outside the pack folder (links followed). */
function entryInside(dir: string, relative: string): { file: string } | { error: string } {
  if (path.isAbsolute(relative)) return { error: `must be a path relative to the pack folder, not ${JSON.stringify(relative)}` };
  const root = fs.realpathSync(dir);
  let file: string;
  try {
    file = fs.realpathSync(path.resolve(dir, relative));
  } catch {
    return { error: `names ${JSON.stringify(relative)}, which does not exist` };
  }
  if (!file.startsWith(root + path.sep)) return { error: `names ${JSON.stringify(relative)}, which is outside the pack folder; packs load only from their own folder` };
  if (!fs.statSync(file).isFile()) return { error: `names ${JSON.stringify(relative)}, which is not a file` };
  return { file };
}

/**
 * Imports an entry point. TypeScript loads through tsx, which the host has registered (the project runs
 * under `node --import tsx`; vitest transforms TypeScript itself); JavaScript (ESM or CommonJS) as is.
 */
async function importEntry(file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

/** Something exported that is meant as a node definition: an object with a type and run/inputs/outputs. */
function looksLikeDefinition(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return 'type' in value && ('run' in value || 'inputs' in value || 'outputs' in value);
}

/**
 * A module's node definitions: its default export when that is an array, else the default export and
 * the named exports that look like definitions (each object once). The registry checks them.
 */
function definitionsOf(module: Record<string, unknown>): unknown[] {
  if (Array.isArray(module.default)) return module.default;
  const out: unknown[] = [];
  const seen = new Set<unknown>();
  for (const [name, value] of Object.entries(module)) {
    if (name !== 'default' && !looksLikeDefinition(value)) continue;
    if (name === 'default' && !looksLikeDefinition(value)) continue;
    if (seen.has(value)) continue;
    seen.add(value);
    out.push(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Subgraph packs

function loadSubgraphPack(file: string, dir: string, registry: NodeRegistry, report: PackLoadReport, loaded: Map<string, string>): void {
  const read = readJson(file);
  if ('error' in read) return fail(report, null, dir, 'file_invalid', `Subgraph pack ${file} is not valid JSON (${read.error}); fix it.`);
  const parsed = subgraphPackSchema.safeParse(read.json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length > 0 ? `"${i.path.join('.')}"` : 'the file'} ${i.message}`);
    const name = (read.json as { name?: unknown } | null)?.name;
    return fail(report, typeof name === 'string' ? name : null, dir, 'file_invalid', `Subgraph pack ${file}: ${problems.join('; ')}.`, { problems });
  }
  const { name, version, subgraphs } = parsed.data;
  if (takenBy(report, loaded, name, dir)) return;
  const definitions: unknown[] = [];
  subgraphs.forEach((json, index) => {
    const { subgraph, problems } = checkSubgraph(json, name);
    if (subgraph) {
      definitions.push(subgraphDefinition(subgraph, registry));
      return;
    }
    const type = typeof (json as { type?: unknown } | null)?.type === 'string' ? (json as { type: string }).type : undefined;
    report.issues.push({
      code: 'node_definition_invalid',
      message: `Node pack "${name}": subgraph ${type ? `"${type}"` : `#${index + 1}`} was not added: ${problems.join('; ')}.`,
      ...(type ? { nodeType: `${name}/${type}` } : {}),
      details: { pack: name, dir, problems, index },
    });
  });
  register(name, version, dir, 'subgraphs', definitions, registry, report, loaded);
}

// ---------------------------------------------------------------------------------------------------
// Helpers

function register(name: string, version: string, dir: string, kind: LoadedPack['kind'], definitions: unknown[], registry: NodeRegistry, report: PackLoadReport, loaded: Map<string, string>): void {
  const before = new Set(registry.types());
  for (const issue of registry.registerPack(name, definitions)) report.issues.push({ ...issue, details: { ...issue.details, dir } });
  loaded.set(name, dir);
  report.packs.push({ name, version, dir, kind, nodeTypes: registry.types().filter((t) => !before.has(t)) });
}

/** Whether a pack of this name was already loaded (then this one is reported and skipped). */
function takenBy(report: PackLoadReport, loaded: Map<string, string>, name: string, dir: string): boolean {
  const first = loaded.get(name);
  if (first === undefined) return false;
  fail(report, name, dir, 'name_taken', `Node pack "${name}" in ${dir} was not loaded: a pack of that name was already loaded from ${first}; rename or remove one.`, { loadedFrom: first });
  return true;
}

function fail(report: PackLoadReport, pack: string | null, dir: string, reason: string, message: string, extra: Record<string, unknown> = {}): void {
  report.issues.push({ code: 'pack_invalid', message, details: { pack, dir, reason, ...extra } });
}

function readJson(file: string): { json: unknown; text: string } | { error: string; text: string } {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
    return { json: JSON.parse(text), text };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error), text };
  }
}
