// The headless CLI: the fixture's txt2img as a workflow file, run by `latentflow run`, gives the
// reference picture; bad workflows exit non-zero with the problem.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { decodePng, readPngText } from '../../nodes/image/png.ts';
import { makeModelsDir, tinyTxt2img } from '../helpers/server.ts';
import { compareToReference, makeSdxlModelsDir, SDXL_FIXTURES, sdxlGraph } from '../helpers/sdxl.ts';
import { comfyFeaturesGraph } from '../protocol/workflow/ui-examples.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-cli-'));
const modelsDir = makeModelsDir();
afterAll(() => {
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(modelsDir, { recursive: true, force: true });
});

function cli(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/latentflow.js', ...args], { encoding: 'utf8', env: { ...process.env, LATENTFLOW_THREADS: '2' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('latentflow run', () => {
  it('runs the fixture txt2img workflow file and writes the reference picture (diffusers DDIM, 4 steps, seed 42)', () => {
    const workflowFile = path.join(work, 'fixture-txt2img.json');
    fs.writeFileSync(workflowFile, JSON.stringify(tinyTxt2img({ seed: 42, steps: 4, sampler: 'ddim', scheduler: 'diffusers', prefix: 'fixture' })));
    const out = path.join(work, 'out');
    const { status, stdout, stderr } = cli('run', workflowFile, '--models-dir', modelsDir, '--output-dir', out);
    expect(status, stderr).toBe(0);
    const written = stdout.trim().split('\n');
    expect(written).toEqual([path.join(out, 'fixture_00001_.png')]);
    const png = decodePng(fs.readFileSync(written[0]));
    const reference = decodePng(fs.readFileSync('test/fixtures/expected/pipeline_ddim.png'));
    let within = 0;
    for (let i = 0; i < png.data.length; i++) if (Math.abs(png.data[i] - reference.data[i]) <= 2) within++;
    expect(within / png.data.length).toBeGreaterThanOrEqual(0.999);
    expect(JSON.parse(readPngText(fs.readFileSync(written[0])).prompt)['3'].inputs.seed).toBe(42);
  });

  it('applies --set overrides, counts file names up and prints JSON with --json', () => {
    const workflowFile = path.join(work, 'fixture-txt2img.json');
    const out = path.join(work, 'out');
    const { status, stdout } = cli('run', workflowFile, '--models-dir', modelsDir, '--output-dir', out, '--set', '3.steps=1', '--set', '6.text=a small dog', '--json');
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.status).toBe('success');
    expect(report.files).toEqual([path.join(out, 'fixture_00002_.png')]);
    const prompt = JSON.parse(readPngText(fs.readFileSync(report.files[0])).prompt);
    expect(prompt['3'].inputs.steps).toBe(1);
    expect(prompt['6'].inputs.text).toBe('a small dog');
  });

  it("runs a ComfyUI UI-format file as ComfyUI queues it: notes and the muted SaveImage left out, the bypassed node passed through", () => {
    const file = path.join(work, 'comfy-features.json');
    fs.writeFileSync(file, JSON.stringify(comfyFeaturesGraph()));
    const out = path.join(work, 'out-ui');
    const { status, stdout, stderr } = cli('run', file, '--models-dir', modelsDir, '--output-dir', out, '--set', '5.steps=1');
    expect(status, stderr).toBe(0);
    const written = stdout.trim().split('\n');
    expect(written).toEqual([path.join(out, 'editor-comfy_00001_.png')]); // nothing from the muted SaveImage ("muted")
    const bytes = fs.readFileSync(written[0]);
    expect(decodePng(bytes).width).toBe(64); // ImageScaleBy (0.5) bypassed
    const text = readPngText(bytes);
    const prompt = JSON.parse(text.prompt);
    expect(Object.keys(prompt).sort((a, b) => Number(a) - Number(b))).toEqual(['1', '2', '3', '4', '5', '6', '8']);
    expect(prompt['5'].inputs.steps).toBe(1);
    expect(JSON.parse(text.workflow).groups[0].title).toBe('Loaders');
  });

  it('exits 2 with every validation problem, and 2 on usage errors', () => {
    const bad = tinyTxt2img() as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    bad['3'].inputs.cfg = 'high';
    bad['5'].class_type = 'EmptyLatent';
    const file = path.join(work, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    const result = cli('run', file, '--models-dir', modelsDir, '--json');
    expect(result.status).toBe(2);
    const report = JSON.parse(result.stdout);
    expect(report.status).toBe('invalid');
    expect(report.issues.map((i: { code: string; nodeId: string }) => `${i.code}:${i.nodeId}`).sort()).toEqual(['node_type_unknown:5', 'value_invalid:3']);
    expect(cli('run').status).toBe(2);
    expect(cli('run', file, '--nope').stderr).toMatch(/unknown option --nope/);
    expect(cli('run', path.join(work, 'missing.json')).stderr).toMatch(/cannot read/);
  });

  it('exits 1 when a node fails at run time, naming the node', () => {
    const failing = tinyTxt2img() as Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    failing['6'].inputs.text = 'x'.repeat(30_000);
    const file = path.join(work, 'failing.json');
    fs.writeFileSync(file, JSON.stringify(failing));
    const result = cli('run', file, '--models-dir', modelsDir, '--output-dir', path.join(work, 'out2'));
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/CLIPTextEncode #6: the prompt is 30000 characters long/);
    expect(result.stderr.match(/CLIPTextEncode #6/g)).toHaveLength(1); // named once, by the runner
  });
});

describe('latentflow nodes', () => {
  it('lists the node types (text and JSON)', () => {
    const text = cli('nodes');
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/KSampler/);
    const catalog = JSON.parse(cli('nodes', '--json').stdout);
    expect(catalog.KSampler.category).toBe('sampling');
  });

  it('prints help and refuses unknown commands', () => {
    expect(cli('--help').stdout).toMatch(/latentflow run WORKFLOW.json/);
    expect(cli('frobnicate').status).toBe(2);
  });
});

describe('latentflow run, SDXL', () => {
  it('runs the SDXL fixture workflow from the single file and writes the reference picture within 2/255 (Euler, 4 steps)', () => {
    const sdxlModels = makeSdxlModelsDir();
    try {
      const workflowFile = path.join(work, 'sdxl.json');
      fs.writeFileSync(workflowFile, JSON.stringify(sdxlGraph('single-file', 'euler', 'sdxl')));
      const out = path.join(work, 'out-sdxl');
      const { status, stdout, stderr } = cli('run', workflowFile, '--models-dir', sdxlModels, '--output-dir', out);
      expect(status, stderr).toBe(0);
      const written = stdout.trim().split('\n');
      expect(written).toEqual([path.join(out, 'sdxl_00001_.png')]);
      expect(compareToReference(fs.readFileSync(written[0]), path.join(SDXL_FIXTURES, 'expected', 'pipeline_euler.png')).max).toBeLessThanOrEqual(2);
    } finally {
      fs.rmSync(sdxlModels, { recursive: true, force: true });
    }
  });
});
