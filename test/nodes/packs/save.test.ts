import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { checkSubgraph, exportSubgraph, loadPacks, saveSubgraph, SubgraphError } from '../../../nodes/packs/index.ts';
import { executionToSaved, type ExecutionGraph, type SubgraphJson } from '../../../protocol/index.ts';
import { executeGraph } from '../../../server/runner/index.ts';
import { addMul, numberRegistry, registerSubgraphs } from './helpers.ts';

let data: string;
beforeEach(() => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-save-'));
});
afterEach(() => fs.rmSync(data, { recursive: true, force: true }));

const userDir = () => path.join(data, 'packs', 'user');

/** 1 = 5, 2 = 7, 3 = 1 + 2 + 4, 4 = 3 * 6, 5 shows 4, 6 shows 3. */
const workflow: ExecutionGraph = {
  '1': { class_type: 'Num', inputs: { value: 5 } },
  '2': { class_type: 'Num', inputs: { value: 7 } },
  '3': { class_type: 'Add', inputs: { a: ['1', 0], b: ['2', 0], bias: 4 } },
  '4': { class_type: 'Mul', inputs: { a: ['3', 0], factor: 6 } },
  '5': { class_type: 'Out', inputs: { value: ['4', 0] } },
  '6': { class_type: 'Out', inputs: { value: ['3', 0] } },
};

/** What the editor gets back when it saves nodes 3 and 4 with Add's bias as a widget. */
function exported(): SubgraphJson {
  return exportSubgraph(workflow, ['3', '4'], { type: 'AddThenMul', category: 'math', widgets: [{ node: '3', input: 'bias', name: 'offset' }] }, numberRegistry());
}

async function error(promise: Promise<unknown>): Promise<SubgraphError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof SubgraphError) return e;
    throw e;
  }
  throw new Error('expected a SubgraphError');
}

describe('exportSubgraph', () => {
  it('turns incoming links into socket inputs, outgoing links into outputs, and named widgets into widget inputs', () => {
    expect(exported()).toEqual({
      type: 'AddThenMul',
      category: 'math',
      inputs: [
        { name: 'a', type: 'LATENT', targets: [{ node: '3', input: 'a' }] },
        { name: 'b', type: 'LATENT', targets: [{ node: '3', input: 'b' }] },
        { name: 'offset', type: 'INT', default: 4, min: 0, max: 10, targets: [{ node: '3', input: 'bias' }] },
      ],
      outputs: [
        { name: 'LATENT', type: 'LATENT', from: { node: '4', output: 0 } },
        { name: 'LATENT_2', type: 'LATENT', from: { node: '3', output: 0 } },
      ],
      workflow: {
        '3': { class_type: 'Add', inputs: { bias: 4 } },
        '4': { class_type: 'Mul', inputs: { a: ['3', 0], factor: 6 } },
      },
    });
  });

  it('shares one input between selected nodes fed by the same output, and keeps editor positions of a saved workflow', () => {
    const saved = executionToSaved(
      { ...workflow, '4': { class_type: 'Add', inputs: { a: ['1', 0], b: ['3', 0] } } },
      { layout: { '1': { x: 0, y: 0 }, '2': { x: 0, y: 300 }, '3': { x: 400, y: 100 }, '4': { x: 800, y: 150 }, '5': { x: 1200, y: 0 }, '6': { x: 1200, y: 300 } } },
    );
    const json = exportSubgraph(saved, ['3', '4'], { type: 'Shared' }, numberRegistry());
    expect(json.inputs).toEqual([
      { name: 'a', type: 'LATENT', targets: [{ node: '3', input: 'a' }, { node: '4', input: 'a' }] },
      { name: 'b', type: 'LATENT', targets: [{ node: '3', input: 'b' }] },
    ]);
    const fragment = json.workflow as { nodes: Array<{ id: string; position: unknown }>; edges: unknown[] };
    expect(fragment.nodes.map((n) => [n.id, n.position])).toEqual([
      ['3', { x: 0, y: 0 }],
      ['4', { x: 400, y: 50 }],
    ]);
    expect(fragment.edges).toEqual([{ from: { node: '3', output: 0 }, to: { node: '4', input: 'b' } }]);
    expect(checkSubgraph(json, 'user').problems).toEqual([]);
  });

  it('refuses a selection with unknown ids, or one nothing would run', () => {
    const registry = numberRegistry();
    expect(() => exportSubgraph(workflow, ['3', '99'], { type: 'X' }, registry)).toThrow(/node "99" is not in the workflow/);
    expect(() => exportSubgraph(workflow, [], { type: 'X' }, registry)).toThrow(/selection is empty/);
    expect(() => exportSubgraph({ '1': workflow['1'], '2': { class_type: 'Add', inputs: { a: ['1', 0], b: ['1', 0] } } }, ['2'], { type: 'X' }, registry)).toThrow(/would never run/);
    expect(() => exportSubgraph(workflow, ['3'], { type: 'X', widgets: [{ node: '3', input: 'a' }] }, registry)).toThrow(/has no widget "a"/);
  });
});

describe('saveSubgraph', () => {
  it('round trip: export, save, load from <data>/packs, run: same results as the original nodes', async () => {
    const registry = numberRegistry();
    const saved = await saveSubgraph(userDir(), exported(), { registry });
    expect(saved).toMatchObject({ type: 'user/AddThenMul', pack: 'user', file: path.join(userDir(), 'latentflow.json') });
    expect(registry.has('user/AddThenMul')).toBe(true); // usable at once
    expect(fs.readdirSync(userDir())).toEqual(['latentflow.json']); // no temporary file left
    const file = JSON.parse(fs.readFileSync(saved.file, 'utf8'));
    expect(file).toEqual({ name: 'user', version: '1.0.0', subgraphs: [exported()] });

    // A fresh host loads it from the default pack directory.
    const host = numberRegistry();
    const report = await loadPacks([path.join(data, 'packs')], host);
    expect(report.issues).toEqual([]);
    expect(report.packs).toEqual([{ name: 'user', version: '1.0.0', dir: userDir(), kind: 'subgraphs', nodeTypes: ['user/AddThenMul'] }]);
    const original = await executeGraph(workflow, host);
    const collapsed = await executeGraph(
      {
        '1': workflow['1'],
        '2': workflow['2'],
        '9': { class_type: 'user/AddThenMul', inputs: { a: ['1', 0], b: ['2', 0], offset: 4 } },
        '5': { class_type: 'Out', inputs: { value: ['9', 0] } },
        '6': { class_type: 'Out', inputs: { value: ['9', 1] } },
      },
      host,
    );
    expect(original.outputs).toEqual({ '5': { value: 96 }, '6': { value: 16 } });
    expect(collapsed.outputs).toEqual(original.outputs);
  });

  it('adds to the existing file, and refuses a type the file, the registry or the core already has', async () => {
    const registry = numberRegistry();
    await saveSubgraph(userDir(), exported(), { registry });
    await saveSubgraph(userDir(), { ...exported(), type: 'Second' }, { registry });
    expect(JSON.parse(fs.readFileSync(path.join(userDir(), 'latentflow.json'), 'utf8')).subgraphs.map((s: { type: string }) => s.type)).toEqual(['AddThenMul', 'Second']);

    const again = await error(saveSubgraph(userDir(), exported(), { registry }));
    expect(again.issue).toMatchObject({ code: 'node_type_duplicate', nodeType: 'user/AddThenMul', details: { pack: 'user' } });
    const inFileOnly = await error(saveSubgraph(userDir(), exported())); // no registry: the file alone refuses it
    expect(inFileOnly.issue.code).toBe('node_type_duplicate');
    const core = await error(saveSubgraph(userDir(), { ...exported(), type: 'Add' }, { registry }));
    expect(core.issue.code).toBe('node_type_duplicate');
    expect(core.message).toContain('"Add" is already a node type');
  });

  it('refuses an invalid subgraph, or one that does not fit the node types, leaving the file as it was', async () => {
    const registry = numberRegistry();
    await saveSubgraph(userDir(), exported(), { registry });
    const before = fs.readFileSync(path.join(userDir(), 'latentflow.json'), 'utf8');

    const shape = await error(saveSubgraph(userDir(), { ...exported(), type: 'Bad', inputs: [{ name: 'x', type: 'LATENT', targets: [{ node: '42', input: 'a' }] }] }, { registry }));
    expect(shape.issue).toMatchObject({ code: 'node_definition_invalid', details: { problems: ['input "x" targets node "42", which is not in the workflow'] } });

    const types = await error(
      saveSubgraph(
        userDir(),
        {
          type: 'Mismatch',
          inputs: [{ name: 'x', type: 'IMAGE', targets: [{ node: '1', input: 'a' }] }, { name: 'f', type: 'FLOAT', targets: [{ node: '2', input: 'factor' }] }],
          outputs: [{ name: 'OUT', type: 'LATENT', from: { node: '2', output: 1 } }],
          workflow: { '1': { class_type: 'Add', inputs: { bias: 99 } }, '2': { class_type: 'Mul', inputs: { a: ['1', 0] } }, '3': { class_type: 'Nope', inputs: {} } },
        },
        { registry },
      ),
    );
    expect(types.issue.details?.problems).toEqual(['inner node "3" has type "Nope", which is not registered']);
    const mismatch = await error(
      saveSubgraph(
        userDir(),
        {
          type: 'Mismatch',
          inputs: [{ name: 'x', type: 'IMAGE', targets: [{ node: '1', input: 'a' }] }, { name: 'f', type: 'FLOAT', targets: [{ node: '2', input: 'factor' }] }],
          outputs: [{ name: 'OUT', type: 'LATENT', from: { node: '2', output: 1 } }],
          workflow: { '1': { class_type: 'Add', inputs: { bias: 99 } }, '2': { class_type: 'Mul', inputs: { a: ['1', 0] } } },
        },
        { registry },
      ),
    );
    expect(mismatch.issue.details?.problems).toEqual([
      'input "x" targets Add #1 "a", which is LATENT, not IMAGE',
      'input "f" targets Mul #2 "factor", which is INT, not FLOAT',
      'output "OUT" comes from output 1 of Mul #2, which has 1 outputs',
      'inner Add #1 "b" is not linked inside the subgraph and no subgraph input feeds it',
      'inner Add #1 "bias" is 99, which it does not accept',
    ]);
    expect(fs.readFileSync(path.join(userDir(), 'latentflow.json'), 'utf8')).toBe(before);
    expect(registry.has('user/Mismatch')).toBe(false);
  });

  it('refuses to overwrite a pack file it cannot read as a pack', async () => {
    fs.mkdirSync(userDir(), { recursive: true });
    fs.writeFileSync(path.join(userDir(), 'latentflow.json'), '{ "name": "user", ');
    const broken = await error(saveSubgraph(userDir(), exported()));
    expect(broken.issue.code).toBe('pack_invalid');
    expect(fs.readFileSync(path.join(userDir(), 'latentflow.json'), 'utf8')).toBe('{ "name": "user", ');
  });

  it('keeps every subgraph when saves into one file run at the same time', async () => {
    const registry = numberRegistry();
    const types = Array.from({ length: 8 }, (_, i) => `Parallel${i}`);
    const results = await Promise.all(types.map((type) => saveSubgraph(userDir(), { ...exported(), type }, { registry })));
    expect(results.map((r) => r.type)).toEqual(types.map((t) => `user/${t}`));
    const file = JSON.parse(fs.readFileSync(path.join(userDir(), 'latentflow.json'), 'utf8'));
    expect(file.subgraphs.map((s: { type: string }) => s.type)).toEqual(types);
    expect(fs.readdirSync(userDir())).toEqual(['latentflow.json']);
  });

  it('saves a subgraph that uses another subgraph; both load and run', async () => {
    const registry = numberRegistry();
    registerSubgraphs(registry, 'user', [addMul]);
    fs.mkdirSync(userDir(), { recursive: true });
    fs.writeFileSync(path.join(userDir(), 'latentflow.json'), JSON.stringify({ name: 'user', version: '1.0.0', subgraphs: [addMul] }));
    const outer: ExecutionGraph = {
      '1': { class_type: 'Num', inputs: { value: 1 } },
      '2': { class_type: 'user/AddMul', inputs: { x: ['1', 0], y: ['1', 0], factor: 5 } },
      '3': { class_type: 'Out', inputs: { value: ['2', 1] } },
    };
    const json = exportSubgraph(outer, ['1', '2'], { type: 'Ten' }, registry);
    expect(json.workflow).toEqual({ '1': outer['1'], '2': outer['2'] });
    await saveSubgraph(userDir(), json, { registry });
    const host = numberRegistry();
    expect((await loadPacks([path.join(data, 'packs')], host)).issues).toEqual([]);
    const result = await executeGraph({ '7': { class_type: 'user/Ten', inputs: {} }, '8': { class_type: 'Out', inputs: { value: ['7', 0] } } }, host);
    expect(result.outputs['8']).toEqual({ value: 10 });
    expect(result.executed).toEqual(['7/1', '7/2/1', '7/2/2', '8']);
  });
});
