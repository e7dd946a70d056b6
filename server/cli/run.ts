/**
 * `latentflow run WORKFLOW.json`: runs a workflow headless on the same runner as the server, shows
 * progress on a terminal, prints the files it wrote (or JSON with --json), and exits with a status a
 * script can act on.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunEvent } from '../../protocol/index.ts';
import { REPO_ROOT } from '../config.ts';
import { createHost, hostPaths, nativeMemoryProbe } from '../host.ts';
import { executeGraph } from '../runner/execute.ts';
import { parseSetArgument } from '../runner/overrides.ts';
import { InvalidWorkflowError, prepareWorkflow } from '../jobs/submit.ts';
import { outputFiles } from '../api/output-files.ts';

interface RunArgs {
  workflow: string;
  overrides: Record<string, unknown>;
  modelsDir: string;
  outputDir: string;
  inputDir: string;
  json: boolean;
}

export class CliUsageError extends Error {}

export function parseRunArgs(args: string[]): RunArgs {
  const out: RunArgs = {
    workflow: '',
    overrides: {},
    modelsDir: path.join(REPO_ROOT, 'models'),
    outputDir: path.resolve('output'),
    inputDir: path.resolve('input'),
    json: false,
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new CliUsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--set') {
      const [key, v] = parseSetArgument(value());
      out.overrides[key] = v;
    } else if (arg.startsWith('--set=')) {
      const [key, v] = parseSetArgument(arg.slice(6));
      out.overrides[key] = v;
    } else if (arg === '--models-dir') out.modelsDir = path.resolve(value());
    else if (arg === '--output-dir') out.outputDir = path.resolve(value());
    else if (arg === '--input-dir') out.inputDir = path.resolve(value());
    else if (arg === '--json') out.json = true;
    else if (arg.startsWith('--')) throw new CliUsageError(`unknown option ${arg}`);
    else if (!out.workflow) out.workflow = arg;
    else throw new CliUsageError(`unexpected argument "${arg}"`);
  }
  if (!out.workflow) throw new CliUsageError('name a workflow file: latentflow run WORKFLOW.json');
  return out;
}

function progressLine(event: RunEvent, labels: Map<string, string>): string | null {
  switch (event.type) {
    case 'executing':
      labels.set(event.node, `${event.nodeType} #${event.node}`);
      return `${event.nodeType} #${event.node}`;
    case 'progress': {
      const width = 24;
      const filled = Math.round((event.value / event.max) * width);
      return `${labels.get(event.node) ?? event.node} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${event.value}/${event.max}`;
    }
    default:
      return null;
  }
}

export async function runCommand(args: string[]): Promise<number> {
  let options: RunArgs;
  try {
    options = parseRunArgs(args);
  } catch (error) {
    process.stderr.write(`latentflow run: ${(error as Error).message}\n`);
    return 2;
  }
  let workflow: unknown;
  try {
    workflow = JSON.parse(fs.readFileSync(options.workflow, 'utf8'));
  } catch (error) {
    process.stderr.write(`latentflow run: cannot read "${options.workflow}": ${(error as Error).message}\n`);
    return 2;
  }
  const host = createHost({ dataDir: path.join(os.tmpdir(), `latentflow-run-${process.pid}`), modelsDir: options.modelsDir });
  host.paths = { ...hostPaths(path.join(os.tmpdir(), `latentflow-run-${process.pid}`), options.modelsDir), input: options.inputDir, output: options.outputDir };
  fs.mkdirSync(options.outputDir, { recursive: true });

  const report = (result: Record<string, unknown>) => {
    if (options.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  };
  let prepared;
  try {
    prepared = prepareWorkflow(host, workflow, options.overrides);
  } catch (error) {
    if (!(error instanceof InvalidWorkflowError)) throw error;
    report({ status: 'invalid', issues: error.issues });
    if (!options.json) for (const issue of error.issues) process.stderr.write(`invalid: ${issue.message}\n`);
    return 2;
  }

  const tty = process.stderr.isTTY && !options.json;
  const labels = new Map<string, string>();
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  const result = await executeGraph(prepared.prompt, host.registry, {
    signal: controller.signal,
    cache: host.cache,
    memoryProbe: nativeMemoryProbe,
    services: {
      paths: host.paths,
      run: { prompt: prepared.prompt, extra: prepared.saved ? { extra_pnginfo: { workflow: prepared.saved } } : {} },
      memoryBudgetBytes: host.memoryBudgetBytes,
    },
    onEvent: (event) => {
      if (!tty) return;
      const line = progressLine(event, labels);
      if (line) process.stderr.write(`\r\x1b[2K${line}`);
    },
  });
  process.off('SIGINT', onSigint);
  if (tty) process.stderr.write('\r\x1b[2K');

  const files = outputFiles(result.outputs).map((f) => ({
    ...f,
    path: path.join(f.type === 'temp' ? host.paths.temp : host.paths.output, f.subfolder, f.filename),
  }));
  report({ status: result.status, runId: result.runId, outputs: result.outputs, files: files.map((f) => f.path), issues: result.issues });
  if (result.status === 'success') {
    if (!options.json) for (const file of files) process.stdout.write(`${file.path}\n`);
    return 0;
  }
  if (!options.json) for (const issue of result.issues) process.stderr.write(`error: ${issue.message}\n`);
  if (result.status === 'interrupted') {
    if (!options.json) process.stderr.write('interrupted\n');
    return 130;
  }
  return result.status === 'invalid' ? 2 : 1;
}
