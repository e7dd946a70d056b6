/**
 * The latentflow command line.
 *
 *   latentflow serve [--port 8188] [--listen ADDR] [--data-dir D] [--models-dir M] [--token T] [--redis URL]
 *                    [--allowed-hosts NAME,...] [--max-image-pixels N] [--preview-method none|auto|latent2rgb|taesd]
 *   latentflow worker --redis URL [--concurrency 1] [--models-dir M] [--data-dir D] [--packs-dir P] [--id NAME]
 *   latentflow run WORKFLOW.json [--set NODE.INPUT=VALUE ...] [--models-dir D] [--output-dir O] [--input-dir I] [--json]
 *   latentflow nodes [--json]
 */
// Each command imports only what it runs (dynamic imports): `run` and `nodes` do not load the HTTP
// server, socket.io or the Redis client, which keeps a headless run's memory down.

const HELP = `latentflow — node-based Stable Diffusion workbench

Usage:
  latentflow serve [--port 8188] [--listen ADDR] [--data-dir D] [--models-dir M] [--token T] [--redis URL]
                   [--allowed-hosts NAME,...] [--max-image-pixels N] [--packs-dir P] [--allow-origin ORIGIN]
                   [--preview-method none|auto|latent2rgb|taesd]
      Starts the editor, the API and the runner; prints the URL.
      ComfyUI's /ws sends binary step previews only with --preview-method other than none (the
      default, as ComfyUI's) or a prompt's extra_data.preview_method; taesd previews as latent2rgb.
      Beyond loopback (--listen 0.0.0.0) a token is required. The Host header must name this server
      (localhost, a loopback or, beyond loopback, any IP address, the --listen name, this machine's
      name); add other names (a proxy's) with --allowed-hosts. Uploaded images: at most
      --max-image-pixels pixels (default 16777216 = 4096x4096). One embedded server per --data-dir.
      With --redis URL the queue lives in Redis and \`latentflow worker\` processes run the jobs
      (any number, on any machine; several servers may share one Redis); without it, everything
      runs embedded in this process (SQLite queue).
  latentflow worker --redis URL [--concurrency 1] [--models-dir M] [--data-dir D] [--packs-dir P] [--id NAME]
      Runs jobs from the Redis queue with its own models directory; sends events and images back
      through Redis. A job whose worker dies is re-run by another (at least once); a worker fault
      is retried with backoff, a node error is reported and not retried.
      Tuning (serve and worker): --lock-ms 30000 --stalled-interval-ms 30000 --attempts 3
      --backoff-ms 2000 --heartbeat-ms 5000 --redis-prefix lf (or LATENTFLOW_LOCK_MS, ...).
  latentflow run WORKFLOW.json [--set NODE.INPUT=VALUE ...] [--models-dir D] [--output-dir O] [--input-dir I] [--json]
      Runs a workflow (saved or ComfyUI API form) headless; prints the files it wrote.
      Exit status: 0 done, 1 a node failed, 2 invalid workflow or usage, 130 interrupted.
  latentflow nodes [--json]
      Lists the node types.
`;

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'serve':
    await (await import('../server/main.ts')).serve(args);
    break;
  case 'worker':
    process.exitCode = await (await import('../server/cli/worker.ts')).workerCommand(args);
    break;
  case 'run':
    process.exitCode = await (await import('../server/cli/run.ts')).runCommand(args);
    break;
  case 'nodes':
    process.exitCode = (await import('../server/cli/nodes.ts')).nodesCommand(args);
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
