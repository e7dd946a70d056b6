/**
 * `latentflow serve` as a child process (the real command line, bin/latentflow.js), for the tests that
 * must see the process itself: that it is still alive after an attack, that it refuses to start and
 * why, or that it runs under a wrapper (a mount namespace with a tiny file system for the data folder).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import { freePort } from './redis.ts';

const CLI = path.resolve('bin/latentflow.js');

export interface ServeOptions {
  dataDir: string;
  modelsDir: string;
  /** Extra `serve` flags. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** A command the server runs under, e.g. ['unshare', '-m', 'sh', '-c', '... exec "$@"', 'sh']. */
  wrap?: string[];
  /** Default: a free loopback port. */
  port?: number;
}

export interface ServeProcess {
  proc: ChildProcess;
  port: number;
  /** e.g. http://127.0.0.1:40123 */
  base: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** True while the process runs. */
  alive(): boolean;
  /** Resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
}

function launch(options: ServeOptions, port: number): { proc: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const command = [...(options.wrap ?? []), process.execPath, CLI, 'serve', '--port', String(port), '--data-dir', options.dataDir, '--models-dir', options.modelsDir, ...(options.args ?? [])];
  const proc = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LATENTFLOW_THREADS: '1', ...options.env } });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

/** Starts `latentflow serve`; resolves once it says it is serving (rejects with its output if it exits first). */
export async function spawnServe(options: ServeOptions): Promise<ServeProcess> {
  const port = options.port ?? (await freePort());
  const { proc, output, exited } = launch(options, port);
  let running = true;
  void exited.then(() => (running = false));
  await new Promise<void>((resolve, reject) => {
    const onData = () => {
      if (output().includes('latentflow is serving')) resolve();
    };
    proc.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`latentflow serve exited with ${code} before serving:\n${output()}`)));
  });
  return {
    proc,
    port,
    base: `http://127.0.0.1:${port}`,
    output,
    alive: () => running,
    exited,
    async stop() {
      if (!running) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs `latentflow serve` expecting it to refuse to start: resolves with its exit code and output.
 * If it starts serving instead, it is stopped and the promise rejects.
 */
export async function serveRefusal(options: ServeOptions, timeoutMs = 60_000): Promise<{ code: number | null; output: string }> {
  const { proc, output, exited } = launch(options, options.port ?? (await freePort()));
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  proc.stdout!.on('data', () => {
    if (output().includes('latentflow is serving')) proc.kill('SIGKILL');
  });
  const code = await exited;
  clearTimeout(timer);
  if (output().includes('latentflow is serving')) throw new Error(`latentflow serve started where it should have refused:\n${output()}`);
  return { code, output: output() };
}
