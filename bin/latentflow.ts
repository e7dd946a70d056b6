/**
 * The latentflow command line.
 *
 *   latentflow serve [--port 8188] [--listen ADDR] [--data-dir D] [--models-dir M] [--token T]
 *   latentflow run WORKFLOW.json [--set NODE.INPUT=VALUE ...] [--models-dir D] [--output-dir O] [--input-dir I] [--json]
 *   latentflow nodes [--json]
 */
import { runCommand } from '../server/cli/run.ts';
import { nodesCommand } from '../server/cli/nodes.ts';
import { serve } from '../server/main.ts';

const HELP = `latentflow — node-based Stable Diffusion workbench

Usage:
  latentflow serve [--port 8188] [--listen ADDR] [--data-dir D] [--models-dir M] [--token T]
      Starts the editor, the API and the runner; prints the URL.
  latentflow run WORKFLOW.json [--set NODE.INPUT=VALUE ...] [--models-dir D] [--output-dir O] [--input-dir I] [--json]
      Runs a workflow (saved or ComfyUI API form) headless; prints the files it wrote.
      Exit status: 0 done, 1 a node failed, 2 invalid workflow or usage, 130 interrupted.
  latentflow nodes [--json]
      Lists the node types.
`;

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'serve':
    await serve(args);
    break;
  case 'run':
    process.exitCode = await runCommand(args);
    break;
  case 'nodes':
    process.exitCode = nodesCommand(args);
    break;
  case undefined:
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(HELP);
    break;
  default:
    process.stderr.write(`latentflow: unknown command "${command}"\n\n${HELP}`);
    process.exitCode = 2;
}
