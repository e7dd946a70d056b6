/**
 * Property tests (fast-check) of validateGraph / resolveGraph against the real core node types:
 * on random garbage and random graphs it never throws, and it answers either "valid" (and then the
 * graph orders without a cycle) or a list of issues, each with a known code and a message, and a
 * node id that exists wherever the issue is about a node.
 */
import fs from 'node:fs';
import path from 'node:path';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { coreNodes } from '../../../nodes/core/index.ts';
import { prefixProblem } from '../../../nodes/image/save.ts';
import { NodeRegistry } from '../../../nodes/registry.ts';
import { isWidgetSpec, type InputSpecs, type WidgetSpec } from '../../../nodes/schema.ts';
import type { Issue } from '../../../protocol/index.ts';
import { orderGraph, resolveGraph, validateGraph } from '../../../server/runner/index.ts';
import { makeModelsDir } from '../../helpers/server.ts';
import { checkSamplerScheduler } from '../../../nodes/sampling/common-ksampler.ts';

const registry = new NodeRegistry();
registry.registerAll(coreNodes);
const modelsDir = makeModelsDir();
const env = { paths: { models: modelsDir, input: path.join(modelsDir, 'input'), output: path.join(modelsDir, 'out'), temp: path.join(modelsDir, 'tmp') } };
afterAll(() => fs.rmSync(modelsDir, { recursive: true, force: true }));

const CODES = new Set(['workflow_invalid', 'node_type_unknown', 'input_missing', 'input_unknown', 'link_invalid', 'type_mismatch', 'value_invalid', 'value_out_of_range', 'cycle', 'output_node_missing']);
/** Codes that are always about one node of the execution form. */
const NODE_CODES = new Set(['node_type_unknown', 'input_missing', 'input_unknown', 'type_mismatch', 'value_invalid', 'value_out_of_range', 'cycle']);
const RUNS = Number(process.env.FC_RUNS ?? 300);

function checkIssues(issues: Issue[], ids: Set<string> | null) {
  expect(Array.isArray(issues)).toBe(true);
  for (const issue of issues) {
    expect(CODES.has(issue.code), issue.code).toBe(true);
    expect(typeof issue.message).toBe('string');
    expect(issue.message.trim().length).toBeGreaterThan(0);
    if (issue.input !== undefined) expect(typeof issue.nodeId).toBe('string');
    if (NODE_CODES.has(issue.code)) {
      expect(typeof issue.nodeId).toBe('string');
      if (ids) expect(ids.has(issue.nodeId!), `${issue.code} names node ${issue.nodeId}`).toBe(true);
    }
    // Issues are plain JSON: they go over the wire as they are.
    expect(() => JSON.stringify(issue)).not.toThrow();
  }
}

// ---- generators ------------------------------------------------------------------------------------

const types = [...registry.types(), 'NoSuchNode', 'ksampler', '', '__proto__', 'constructor'];
const nodeId = fc.oneof(fc.integer({ min: 0, max: 12 }).map(String), fc.constantFrom('a', 'x/y', '__proto__', 'constructor', 'toString', ''));
const weird = fc.oneof(
  fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e309, Number.MAX_SAFE_INTEGER + 2, 2 ** 53, -1, 0.5, '', 'NaN', '20', null, true, [], {}, [[]]),
  fc.double(),
  fc.integer(),
  fc.string({ maxLength: 12 }),
);
const link = fc.tuple(nodeId, fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom(0.5, Number.NaN, '0')));
const inputValue = fc.oneof({ weight: 3, arbitrary: link }, { weight: 3, arbitrary: weird }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });

/** A graph of core (and unknown) node types whose inputs are real input names given random values. */
const randomGraph = fc
  .array(fc.tuple(nodeId, fc.constantFrom(...types), fc.array(fc.tuple(fc.string({ maxLength: 3 }), inputValue), { maxLength: 4 }), fc.array(inputValue, { maxLength: 12 })), { maxLength: 10 })
  .map((nodes) => {
    const graph: Record<string, { class_type: string; inputs: Record<string, unknown> }> = {};
    for (const [id, type, extra, values] of nodes) {
      const inputs: Record<string, unknown> = {};
      const definition = registry.get(type);
      Object.keys((definition?.inputs ?? {}) as InputSpecs).forEach((name, i) => {
        if (i < values.length) inputs[name] = values[i];
      });
      for (const [name, value] of extra) Object.defineProperty(inputs, name, { value, enumerable: true, writable: true, configurable: true });
      Object.defineProperty(graph, id, { value: { class_type: type, inputs }, enumerable: true, writable: true, configurable: true });
    }
    return graph;
  });

/** A valid value for a widget (within range, among the options) under `env`. */
function validWidget(spec: WidgetSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case 'int': {
      const min = spec.min ?? -1000, max = Math.min(spec.max ?? 1000, min + 1_000_000);
      const step = spec.step && spec.step > 1 ? spec.step : 1;
      return fc.integer({ min: 0, max: Math.floor((max - min) / step) }).map((k) => min + k * step);
    }
    case 'float':
      return fc.double({ min: spec.min ?? -1000, max: spec.max ?? 1000, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'text':
      return fc.string({ maxLength: 40 });
    case 'choice': {
      const options = typeof spec.options === 'function' ? spec.options(env) : spec.options;
      return fc.constantFrom(...(options as readonly string[]));
    }
  }
}

/** txt2img on the tiny model with every widget drawn from its valid range. */
const validTxt2img = (() => {
  const widgets = (type: string) => {
    const specs = registry.get(type)!.inputs as InputSpecs;
    const entries = Object.entries(specs).filter(([, s]) => isWidgetSpec(s)) as Array<[string, WidgetSpec]>;
    return fc.record(Object.fromEntries(entries.map(([name, s]) => [name, validWidget(s)])));
  };
  // SaveImage's prefix is text whose folders and file names follow the file-name rule (checkWidgets).
  const prefix = fc.stringMatching(/^(?:[\p{L}\p{N}_()-][\p{L}\p{N} ._()-]{0,20}\/){0,2}[\p{L}\p{N}_()-][\p{L}\p{N} ._()-]{0,40}$/u).filter((p) => prefixProblem(p) === null);
  // KSampler's sampler/scheduler pair must also be one that runs (its checkWidgets refuses e.g. pndm with karras).
  const sampler = widgets('KSampler').filter((w) => checkSamplerScheduler(String(w.sampler_name), String(w.scheduler), Number(w.steps)).length === 0);
  return fc.record({ load: widgets('CheckpointLoaderSimple'), pos: widgets('CLIPTextEncode'), latent: widgets('EmptyLatentImage'), sampler, save: fc.record({ filename_prefix: prefix }) }).map((w) => ({
    '4': { class_type: 'CheckpointLoaderSimple', inputs: w.load },
    '6': { class_type: 'CLIPTextEncode', inputs: { ...w.pos, clip: ['4', 1] } },
    '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
    '5': { class_type: 'EmptyLatentImage', inputs: w.latent },
    '3': { class_type: 'KSampler', inputs: { ...w.sampler, model: ['4', 0], positive: ['6', 0], negative: ['7', 0], latent_image: ['5', 0] } },
    '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
    '9': { class_type: 'SaveImage', inputs: { ...w.save, images: ['8', 0] } },
  }));
})();

// ---- properties ---------------------------------------------------------------------------------------

describe('validateGraph properties', () => {
  it('never throws on arbitrary JSON, and answers with well-formed issues', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything({ maxDepth: 4 }), fc.jsonValue({ maxDepth: 5 })), (value) => {
        checkIssues(validateGraph(value, registry, env), null);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on random graphs of core node types; every node-level issue names an existing node', () => {
    fc.assert(
      fc.property(randomGraph, (graph) => {
        const result = resolveGraph(graph, registry, env);
        checkIssues(result.issues, new Set(Object.keys(graph)));
        if (result.issues.length === 0) {
          // valid => it runs: ordered without a cycle, every output node known
          expect(result.graph).toBeDefined();
          expect(orderGraph(result.graph!.graph, result.graph!.outputNodes).ok).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the same random graphs sent as JSON text (NaN -> null, keys as strings) also give well-formed issues', () => {
    fc.assert(
      fc.property(randomGraph, (graph) => {
        const viaJson = JSON.parse(JSON.stringify(graph));
        checkIssues(validateGraph(viaJson, registry, env), new Set(Object.keys(viaJson)));
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every txt2img whose widgets are within their declared ranges and options', () => {
    fc.assert(
      fc.property(validTxt2img, (graph) => {
        expect(validateGraph(graph, registry, env)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('one widget pushed out of range gives exactly one issue, on that node and input', () => {
    const cases = [
      ['5', 'width', 1_000_000],
      ['5', 'batch_size', 0],
      ['3', 'steps', 0],
      ['3', 'cfg', Infinity],
      ['3', 'seed', -1],
      ['3', 'denoise', Number.NaN],
      // A prefix whose file /view would refuse to serve (issue 15): refused at validation.
      ['9', 'filename_prefix', "a'&;=b%22"],
      ['9', 'filename_prefix', '../escape'],
      ['9', 'filename_prefix', '\u4e00'.repeat(100)],
    ] as const;
    fc.assert(
      fc.property(validTxt2img, fc.constantFrom(...cases), (graph, [id, input, value]) => {
        const broken = structuredClone(graph) as Record<string, { inputs: Record<string, unknown> }>;
        broken[id].inputs[input] = value;
        const issues = validateGraph(broken, registry, env);
        expect(issues).toHaveLength(1);
        expect(issues[0]).toMatchObject({ nodeId: id, input });
      }),
      { numRuns: Math.min(RUNS, 100) },
    );
  });
});
