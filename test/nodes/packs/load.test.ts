import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { defaultPackDirs, loadPacks, type PackLoadReport } from '../../../nodes/packs/index.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import { socket } from '../../../nodes/schema.ts';
import { executeGraph } from '../../../server/runner/index.ts';
import { numberNodes, numberRegistry } from './helpers.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');
const EXAMPLES = path.join(REPO, 'examples/packs');

let root: string;

/** Writes files under `dir` ({ 'a/b.json': text }). */
function write(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

const manifest = (name: string, nodes: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ name: `npm-${name}`, version: '1.0.0', type: 'module', ...extra, latentflow: { name, version: '1.2.3', nodes } });

// A JS node definition without imports, as a pack outside this repository may write it.
const jsNode = (type: string, body = 'return { LATENT: input.a * 10 };') => `{
  type: '${type}', version: 1, category: 'test', description: 'Times ten.',
  inputs: { a: { kind: 'socket', type: 'LATENT' } },
  outputs: { LATENT: { kind: 'socket', type: 'LATENT' } },
  run(input) { ${body} },
}`;

const subgraphPack = (name: string, subgraphs: unknown[]) => JSON.stringify({ name, version: '0.0.1', subgraphs });
const timesTen = (pack: string) => ({
  type: 'TimesTenTwice',
  inputs: [{ name: 'a', type: 'LATENT', targets: [{ node: '1', input: 'a' }] }],
  outputs: [{ name: 'LATENT', type: 'LATENT', from: { node: '2', output: 0 } }],
  workflow: { '1': { class_type: `${pack}/TimesTen`, inputs: {} }, '2': { class_type: `${pack}/TimesTen`, inputs: { a: ['1', 0] } } },
});

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-packs-'));
  write(path.join(root, 'a'), {
    // Named exports in an ES module; helpers that are not definitions are ignored.
    'good/package.json': manifest('good', './index.mjs'),
    'good/index.mjs': `export const TimesTen = ${jsNode('TimesTen')};\nexport const helper = (x) => x;\nexport const SIZES = [1, 2];\n`,
    // TypeScript, default export array.
    'typed/package.json': manifest('typed', './nodes/index.ts'),
    'typed/nodes/index.ts': `const node: { type: string } & Record<string, unknown> = ${jsNode('Typed')};\nexport default [node];\n`,
    // CommonJS.
    'common/package.json': JSON.stringify({ name: 'common', version: '2.0.0', latentflow: { nodes: './index.cjs' } }),
    'common/index.cjs': `module.exports = [${jsNode('Common')}];\n`,
    'throws/package.json': manifest('throws', './index.mjs'),
    'throws/index.mjs': `throw new Error('cannot find the GPU');\n`,
    'bad-manifest/package.json': JSON.stringify({ name: 'bad', latentflow: 'index.js' }),
    'bad-name/package.json': manifest('Bad Name!', './index.mjs'),
    'no-entry/package.json': JSON.stringify({ name: 'no-entry', version: '1.0.0', latentflow: { name: 'no-entry', version: '1.0.0' } }),
    'missing-entry/package.json': manifest('missing-entry', './nope.mjs'),
    'escapes/package.json': manifest('escapes', '../good/index.mjs'),
    'empty/package.json': manifest('empty', './index.mjs'),
    'empty/index.mjs': `export const answer = 42;\n`,
    'broken-json/package.json': '{ "latentflow": ',
    // One invalid definition, one duplicate, one good: the good one loads.
    'mixed/package.json': manifest('mixed', './index.mjs'),
    'mixed/index.mjs': `export default [${jsNode('Fine')}, ${jsNode('Fine')}, { type: 'NoRun', version: 1, category: 'x', description: '', inputs: {}, outputs: {} }];\n`,
    // A folder is one pack: the code pack loads, its latentflow.json is reported as ignored.
    'both/package.json': manifest('both', './index.mjs'),
    'both/index.mjs': `export default [${jsNode('Both')}];\n`,
    'both/latentflow.json': subgraphPack('both-graphs', []),
    // Not a pack at all: ignored without an issue.
    'just-a-folder/readme.txt': 'hello',
    'plain-package/package.json': JSON.stringify({ name: 'plain', version: '1.0.0' }),
    // npm-installed packs.
    'node_modules/latentflow-npm/package.json': manifest('npm', './index.mjs'),
    'node_modules/latentflow-npm/index.mjs': `export default ${jsNode('FromNpm')};\n`,
    'node_modules/@acme/latentflow-scoped/package.json': manifest('scoped', './index.mjs'),
    'node_modules/@acme/latentflow-scoped/index.mjs': `export default [${jsNode('Scoped')}];\n`,
    'node_modules/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.0.0', main: 'index.js' }),
    'node_modules/broken-unrelated/package.json': '{ nope',
    // JSON subgraph packs: a folder, and a single file; one bad subgraph next to a good one.
    'graphs/latentflow.json': subgraphPack('graphs', [timesTen('good'), { type: 'Bad', inputs: [], outputs: [{ name: 'X', type: 'LATENT', from: { node: '9', output: 0 } }], workflow: { '1': { class_type: 'Num', inputs: {} } } }]),
    'single.latentflow.json': subgraphPack('single', [{ ...timesTen('good'), type: 'Again' }]),
    'broken.latentflow.json': '{"name": "broken", "version": "1", "subgraphs": [',
    'not-a-pack.latentflow.json': JSON.stringify({ name: 'nope' }),
  });
  write(path.join(root, 'b'), {
    // Same pack name as in dir a: the first one (a) wins.
    'good/package.json': manifest('good', './index.mjs'),
    'good/index.mjs': `export default [${jsNode('Other')}];\n`,
    'second/package.json': manifest('second', './index.mjs'),
    'second/index.mjs': `export default [${jsNode('Second')}];\n`,
  });
  write(path.join(root, 'elsewhere'), {
    'hidden/package.json': manifest('hidden', './index.mjs'),
    'hidden/index.mjs': `globalThis.__latentflowHiddenPackRan = true;\nexport default [${jsNode('Hidden')}];\n`,
  });
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const issueOf = (report: PackLoadReport, pack: string | null, reason?: string) =>
  report.issues.find((i) => i.details?.pack === pack && (reason === undefined || i.details?.reason === reason));

describe('loadPacks: the example packs', () => {
  it('loads the code pack and both subgraph packs, namespaced by pack name', async () => {
    const registry = new NodeRegistry();
    const report = await loadPacks([EXAMPLES], registry);
    expect(report.issues).toEqual([]);
    expect(report.packs).toEqual([
      { name: 'latentflow-example', version: '0.1.0', dir: path.join(EXAMPLES, 'latentflow-example'), kind: 'code', nodeTypes: ['latentflow-example/ImageInvert', 'latentflow-example/ImageBlend', 'latentflow-example/LatentScale'] },
      { name: 'latentflow-subgraphs', version: '0.1.0', dir: path.join(EXAMPLES, 'latentflow-subgraphs'), kind: 'subgraphs', nodeTypes: ['latentflow-subgraphs/ImagePartialInvert'] },
      { name: 'sd-basics', version: '0.1.0', dir: path.join(EXAMPLES, 'sd-basics.latentflow.json'), kind: 'subgraphs', nodeTypes: ['sd-basics/Txt2ImgSimple'] },
    ]);
    expect(registry.has('ImageInvert')).toBe(false);
    const catalog = registry.catalog();
    expect(catalog['latentflow-example/ImageBlend'].pack).toBe('latentflow-example');
    expect(catalog['latentflow-subgraphs/ImagePartialInvert']).toMatchObject({
      input: { required: { image: ['IMAGE', {}], amount: ['FLOAT', { default: 0.5, min: 0, max: 1, step: 0.01, tooltip: 'How far toward the negative.' }] } },
      output: ['IMAGE'],
      category: 'image/postprocessing',
      pack: 'latentflow-subgraphs',
    });
  });

  it('runs ImagePartialInvert (a subgraph of the code pack\'s nodes) end to end', async () => {
    const registry = new NodeRegistry();
    await loadPacks([EXAMPLES], registry);
    const pixels = [0, 0.25, 1, 0.5, 0.75, 0.1];
    registry.registerAll([
      { type: 'Pixels', version: 1, category: 'test', description: '', inputs: {}, outputs: { IMAGE: socket('IMAGE') }, run: () => ({ IMAGE: { data: Float32Array.from(pixels), shape: [1, 1, 2, 3] } }) },
      { type: 'Show', version: 1, category: 'test', description: '', inputs: { images: socket('IMAGE') }, outputs: {}, outputNode: true, run: (input: { images: { data: Float32Array } }) => ({ ui: { data: [...input.images.data] } }) },
    ]);
    for (const amount of [0, 0.25, 1]) {
      const result = await executeGraph(
        { '1': { class_type: 'Pixels', inputs: {} }, '2': { class_type: 'latentflow-subgraphs/ImagePartialInvert', inputs: { image: ['1', 0], amount } }, '3': { class_type: 'Show', inputs: { images: ['2', 0] } } },
        registry,
      );
      expect(result.status).toBe('success');
      expect(result.executed).toEqual(['1', '2/1', '2/2', '3']);
      const got = result.outputs['3'].data as number[];
      const expected = pixels.map((x) => x * (1 - amount) + (1 - x) * amount);
      for (let i = 0; i < expected.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
    }
  });
});

describe('loadPacks: broken packs are reported and the others still load', () => {
  let report: PackLoadReport;
  let registry: NodeRegistry;
  beforeAll(async () => {
    registry = numberRegistry();
    report = await loadPacks([path.join(root, 'a'), path.join(root, 'b')], registry);
  });

  it('loads good packs of every form: ES module named exports, TypeScript, CommonJS, npm and scoped npm packages', () => {
    const loaded = Object.fromEntries(report.packs.map((p) => [p.name, p]));
    expect(loaded.good).toMatchObject({ version: '1.2.3', kind: 'code', nodeTypes: ['good/TimesTen'], dir: path.join(root, 'a', 'good') });
    expect(loaded.typed.nodeTypes).toEqual(['typed/Typed']);
    expect(loaded.common).toMatchObject({ version: '2.0.0', nodeTypes: ['common/Common'] }); // name and version from package.json
    expect(loaded.npm).toMatchObject({ nodeTypes: ['npm/FromNpm'], dir: path.join(root, 'a', 'node_modules', 'latentflow-npm') });
    expect(loaded.scoped.nodeTypes).toEqual(['scoped/Scoped']);
    expect(loaded.mixed.nodeTypes).toEqual(['mixed/Fine']);
    expect(loaded.graphs).toMatchObject({ kind: 'subgraphs', nodeTypes: ['graphs/TimesTenTwice'] });
    expect(loaded.single).toMatchObject({ kind: 'subgraphs', nodeTypes: ['single/Again'], dir: path.join(root, 'a', 'single.latentflow.json') });
    expect(loaded.second.nodeTypes).toEqual(['second/Second']);
    expect(loaded.both).toMatchObject({ kind: 'code', nodeTypes: ['both/Both'] });
    expect(report.packs.map((p) => p.name).sort()).toEqual(['both', 'common', 'good', 'graphs', 'mixed', 'npm', 'scoped', 'second', 'single', 'typed']);
  });

  it('reports each broken pack with its name (when known), folder and reason', () => {
    expect(issueOf(report, 'throws', 'import_failed')?.message).toContain('cannot find the GPU');
    expect(issueOf(report, null, 'manifest')?.details?.dir).toBe(path.join(root, 'a', 'bad-manifest'));
    expect(issueOf(report, 'Bad Name!', 'manifest')?.message).toContain('"name" must be');
    expect(issueOf(report, 'no-entry', 'manifest')?.message).toContain('needs "nodes"');
    expect(issueOf(report, 'missing-entry', 'manifest')?.message).toContain('does not exist');
    expect(issueOf(report, 'escapes', 'manifest')?.message).toContain('outside the pack folder');
    expect(issueOf(report, 'empty', 'no_nodes')?.message).toContain('exports no node definitions');
    expect(report.issues.find((i) => i.details?.dir === path.join(root, 'a', 'broken-json'))?.details?.reason).toBe('manifest');
    expect(issueOf(report, 'good', 'name_taken')).toMatchObject({ details: { dir: path.join(root, 'b', 'good'), loadedFrom: path.join(root, 'a', 'good') } });
    expect(report.issues.find((i) => i.details?.dir === path.join(root, 'a', 'broken.latentflow.json'))).toMatchObject({ code: 'pack_invalid', details: { pack: null, reason: 'file_invalid' } });
    expect(issueOf(report, 'nope', 'file_invalid')?.message).toContain('"version"');
    expect(report.issues.find((i) => i.details?.reason === 'ambiguous')).toMatchObject({ code: 'pack_invalid', details: { pack: 'both', dir: path.join(root, 'a', 'both') } });
    for (const issue of report.issues.filter((i) => i.code === 'pack_invalid')) expect(issue.message.length).toBeGreaterThan(20);
  });

  it('reports invalid and duplicate node types, and bad subgraphs, with the pack named', () => {
    const mixed = report.issues.filter((i) => i.details?.pack === 'mixed');
    expect(mixed.map((i) => [i.code, i.nodeType])).toEqual([
      ['node_type_duplicate', 'mixed/Fine'],
      ['node_definition_invalid', 'NoRun'],
    ]);
    expect(mixed[1].details?.problems).toEqual(['"run" must be a function']);
    const bad = report.issues.find((i) => i.details?.pack === 'graphs');
    expect(bad).toMatchObject({ code: 'node_definition_invalid', nodeType: 'graphs/Bad', details: { problems: ['output "X" comes from node "9", which is not in the workflow'] } });
  });

  it('ignores folders and npm packages that are not packs, and the second pack of a taken name', () => {
    const dirs = report.issues.map((i) => i.details?.dir);
    for (const ignored of ['just-a-folder', 'plain-package', 'node_modules/left-pad', 'node_modules/broken-unrelated']) expect(dirs).not.toContain(path.join(root, 'a', ignored));
    expect(registry.has('good/Other')).toBe(false);
    expect(report.issues).toHaveLength(15); // the 15 broken things of dirs a and b, nothing else
  });

  it('runs pack nodes and a subgraph of another pack\'s nodes', async () => {
    const result = await executeGraph(
      {
        '1': { class_type: 'Num', inputs: { value: 3 } },
        '2': { class_type: 'graphs/TimesTenTwice', inputs: { a: ['1', 0] } },
        '3': { class_type: 'npm/FromNpm', inputs: { a: ['2', 0] } },
        '4': { class_type: 'Out', inputs: { value: ['3', 0] } },
      },
      registry,
    );
    expect(result.status).toBe('success');
    expect(result.outputs['4']).toEqual({ value: 3000 });
  });
});

describe('loadPacks: only configured directories', () => {
  it('loads nothing from a directory that is not configured, and a missing directory is empty', async () => {
    const registry = new NodeRegistry();
    registry.registerAll(numberNodes);
    const report = await loadPacks([path.join(root, 'b'), path.join(root, 'does-not-exist')], registry);
    expect(report.issues).toEqual([]);
    expect(report.packs.map((p) => p.name)).toEqual(['good', 'second']);
    expect(registry.types().filter((t) => t.includes('/'))).toEqual(['good/Other', 'second/Second']);
    expect((globalThis as { __latentflowHiddenPackRan?: boolean }).__latentflowHiddenPackRan).toBeUndefined();
    // The same pack is loaded once its directory is configured.
    const withHidden = await loadPacks([path.join(root, 'elsewhere')], new NodeRegistry());
    expect(withHidden.packs.map((p) => p.nodeTypes)).toEqual([['hidden/Hidden']]);
    expect(defaultPackDirs('/srv/latentflow')).toEqual(['/srv/latentflow/packs']);
  });

  it('refuses an entry point reached through a link out of the pack folder', async () => {
    const dir = path.join(root, 'linked');
    write(dir, { 'sneaky/package.json': manifest('sneaky', './index.mjs') });
    fs.symlinkSync(path.join(root, 'elsewhere', 'hidden', 'index.mjs'), path.join(dir, 'sneaky', 'index.mjs'));
    const report = await loadPacks([dir], new NodeRegistry());
    expect(report.packs).toEqual([]);
    expect(report.issues).toMatchObject([{ code: 'pack_invalid', details: { pack: 'sneaky', reason: 'manifest' } }]);
  });
});

describe('loadPacks under the real runtime', () => {
  it('loads the TypeScript example pack in `node --import tsx` (as the server runs)', () => {
    const script = path.join(root, 'load-examples.mjs');
    fs.writeFileSync(
      script,
      `import { loadPacks } from ${JSON.stringify(path.join(REPO, 'nodes/packs/load.ts'))};
import { NodeRegistry } from ${JSON.stringify(path.join(REPO, 'nodes/registry.ts'))};
const report = await loadPacks([${JSON.stringify(EXAMPLES)}, ${JSON.stringify(path.join(root, 'a'))}], new NodeRegistry());
console.log(JSON.stringify({ packs: report.packs.map((p) => p.nodeTypes.length), failed: report.issues.filter((i) => i.details?.reason === 'import_failed').map((i) => i.details?.pack) }));`,
    );
    const out = execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: REPO, encoding: 'utf8' });
    const { packs, failed } = JSON.parse(out.trim().split('\n').pop()!);
    expect(packs.slice(0, 3)).toEqual([3, 1, 1]);
    expect(failed).toEqual(['throws']); // typed (TypeScript), common (CommonJS) and the others load too
  });
});
