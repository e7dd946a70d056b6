/**
 * A private redis-server for a test: Debian's `redis-server` on a free loopback port, its files in a
 * temporary folder, without persistence unless asked for; stopped (and the folder removed) by `stop()`.
 * Never a system service. A test may kill it and start it again on the same port (`kill`, `restart`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface TestRedis {
  /** e.g. redis://127.0.0.1:40123 */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface StartRedisOptions {
  /**
   * Append-only file with an fsync per write (`appendonly yes`, `appendfsync always`): every write Redis
   * acknowledged survives a SIGKILL and is there again after `restart()`. Without it (the default) a
   * restart starts empty.
   */
  persistent?: boolean;
}

export interface RestartableRedis extends TestRedis {
  /** Sends `signal` and waits for the exit; the port stays free for `restart()`. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts redis-server again on the same port and folder (after `kill`); resolves once it answers PING. */
  restart(): Promise<void>;
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RestartableRedis> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-redis-'));
  const port = await freePort();
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--protected-mode', 'yes', '--loglevel', 'warning'];
  let current = await spawnRedis(args, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      await current.stop('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async kill(signal) {
      await current.stop(signal);
    },
    async restart() {
      current = await spawnRedis(args, port);
    },
  };
}

/** One redis-server process; resolves once it answers PING. */
async function spawnRedis(args: string[], port: number): Promise<{ stop(signal: NodeJS.Signals): Promise<void> }> {
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let spawnError: Error | null = null;
  child.once('error', (error: NodeJS.ErrnoException) => {
    spawnError = error.code === 'ENOENT' ? new Error('redis-server is not installed (Debian: apt-get install redis-server); the Redis-mode tests start their own') : error;
  });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Ready when it accepts a connection and answers PING (a restart answers once it has loaded its file).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (spawnError) throw spawnError;
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${log}`);
    if (await ping(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port} within 10 s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    async stop(signal) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}
