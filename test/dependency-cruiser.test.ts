// The import rules of .dependency-cruiser.cjs fire: each one on a small tree that breaks it (and none
// on a tree that keeps them); `npm run check:imports` applies the same rules to the real tree.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractBabelConfig from 'dependency-cruiser/config-utl/extract-babel-config';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '..');

let tree: string;

/** Writes `files` (path -> source) into a fresh tree that can resolve the repository's npm packages. */
function writeTree(files: Record<string, string>): void {
  for (const [file, source] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), source);
  }
}

async function cruiseTree(files: string[]): Promise<ICruiseResult> {
  // What `depcruise --config .dependency-cruiser.cjs` reads, rooted at the tree.
  const options = await extractDepcruiseOptions(path.join(REPO, '.dependency-cruiser.cjs'));
  const babelConfig = await extractBabelConfig(path.join(REPO, '.dependency-cruiser.babel.cjs'));
  const result = await cruise(files, { ...options, baseDir: tree, preserveSymlinks: true, outputType: 'json' }, undefined, { babelConfig });
  return JSON.parse(result.output as string) as ICruiseResult;
}

async function violations(files: string[]): Promise<Array<[from: string, to: string, rule: string]>> {
  return (await cruiseTree(files)).summary.violations.map((v) => [v.from, v.to, v.rule.name]);
}

beforeAll(() => {
  tree = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-depcruise-'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
  writeTree({
    'protocol/index.ts': "import { z } from 'zod';\nexport const id = z.string();\n",
    'nodes/schema.ts': "import { id } from '../protocol/index.ts';\nexport interface Spec { kind: string }\nexport const spec = id;\n",
    'server/api/errors.ts': "export class HttpError extends Error {}\n",
    'server/runner/execute.ts': "import type { Spec } from '../../nodes/schema.ts';\nexport const run = (s: Spec) => s;\n",
    'test/helpers.ts': "export const helper = 1;\n",
    'bench/args.ts': "import { helper } from '../test/helpers.ts';\nimport { run } from '../server/runner/execute.ts';\nexport const both = [helper, run];\n",
    'editor/src/App.tsx': "import { id } from '../../protocol/index.ts';\nimport { useState } from 'react';\nexport function App() { const [x] = useState(id); return <div className=\"app\">{String(x)}</div>; }\n",
  });
});

afterAll(() => fs.rmSync(tree, { recursive: true, force: true }));

describe('.dependency-cruiser.cjs', () => {
  it('finds nothing wrong in a tree that keeps the layers (TSX and npm packages included)', async () => {
    const result = await cruiseTree(['{protocol,nodes,server,test,bench,editor}/**/*.{ts,tsx}']);
    expect(result.summary.violations).toEqual([]);
    // Every file was read, the TSX one too, with its npm and type-only imports.
    const depsOf = (file: string) => result.modules.find((m) => m.source === file)?.dependencies.map((d) => d.resolved);
    expect(depsOf('editor/src/App.tsx')).toEqual(expect.arrayContaining(['protocol/index.ts', expect.stringMatching(/^node_modules\/react\//)]));
    expect(depsOf('server/runner/execute.ts')).toEqual(['nodes/schema.ts']);
    expect(depsOf('bench/args.ts')).toEqual(expect.arrayContaining(['test/helpers.ts', 'server/runner/execute.ts']));
  });

  it.each([
    ['editor-imports-only-protocol', 'editor/src/Bad.tsx', "import type { Spec } from '../../nodes/schema.ts';\nexport const Bad = (p: { s: Spec }) => <i>{p.s.kind}</i>;\n", 'nodes/schema.ts'],
    ['protocol-imports-zod-only', 'protocol/bad.ts', "import { HttpError } from '../server/api/errors.ts';\nexport const E = HttpError;\n", 'server/api/errors.ts'],
    ['runner-not-server', 'server/runner/bad.ts', "import { HttpError } from '../api/errors.ts';\nexport const E = HttpError;\n", 'server/api/errors.ts'],
    ['runner-not-server', 'server/runner/http.ts', "import express from 'express';\nexport const app = express;\n", 'node_modules/express/index.js'],
    ['nodes-not-runner-or-server', 'nodes/bad.ts', "import { run } from '../server/runner/execute.ts';\nexport const r = run;\n", 'server/runner/execute.ts'],
    ['native-imports-nothing-above', 'native/bad.ts', "import type { Spec } from '../nodes/schema.ts';\nexport type S = Spec;\n", 'nodes/schema.ts'],
    ['production-not-bench-or-test', 'server/bad.ts', "import { helper } from '../test/helpers.ts';\nexport const h = helper;\n", 'test/helpers.ts'],
  ])('%s: refuses %s', async (rule, file, source, to) => {
    writeTree({ [file]: source });
    try {
      expect(await violations([file])).toEqual([[file, to, rule]]);
    } finally {
      fs.rmSync(path.join(tree, file));
    }
  });
});
