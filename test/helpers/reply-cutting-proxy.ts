/**
 * A TCP proxy in front of a test's redis-server that can lose one answer on purpose: what a Redis that
 * goes away right after executing a command does (SIGTERM with the answer still unsent, a network cut).
 *
 * `cutAfter(marker)` arms it: the next command whose bytes hold `marker` is forwarded, Redis executes
 * it, and its answer is dropped and the client's connection closed (the first answer after the marked
 * command is taken for its answer: a test sends that command on a connection with nothing else waiting).
 * ioredis then reconnects through the proxy and sends the unanswered command again
 * (autoResendUnfulfilledCommands), so Redis executes it a second time: deterministically, the duplicate
 * a restart makes by chance.
 */
import net from 'node:net';

export interface ReplyCuttingProxy {
  /** e.g. redis://127.0.0.1:40124 */
  url: string;
  /** Resolves once a command holding `marker` was executed by Redis, its answer dropped and its client cut off. */
  cutAfter(marker: string): Promise<void>;
  /** How many commands holding `marker` reached Redis through this proxy, from its `cutAfter` on. */
  sent(marker: string): number;
  close(): Promise<void>;
}

/** How many times `marker` occurs in `bytes`. */
function occurrences(bytes: Buffer, marker: string): number {
  let n = 0;
  for (let at = bytes.indexOf(marker); at !== -1; at = bytes.indexOf(marker, at + 1)) n++;
  return n;
}

export async function startReplyCuttingProxy(redisPort: number): Promise<ReplyCuttingProxy> {
  const sockets = new Set<net.Socket>();
  let armed: { marker: string; done: () => void } | null = null;
  /** Commands seen holding each marker given to cutAfter. */
  const counts = new Map<string, number>();

  const server = net.createServer((client) => {
    const upstream = net.connect(redisPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let tail = Buffer.alloc(0); // the end of what this client sent before: a marker may straddle two reads
    let cutting: (() => void) | null = null;
    client.on('data', (chunk) => {
      const window = Buffer.concat([tail, chunk]);
      for (const [marker, n] of counts) {
        const found = occurrences(window, marker) - occurrences(tail, marker);
        if (found === 0) continue;
        counts.set(marker, n + found);
        if (armed?.marker === marker) {
          cutting = armed.done;
          armed = null;
        }
      }
      tail = window.subarray(Math.max(0, window.length - 4096));
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      // Redis has answered (the test keeps the marked command the only one waiting for an answer on its
      // connection): the answer never reaches the client, whose connection drops.
      const done = cutting;
      cutting = null;
      client.destroy();
      upstream.destroy();
      done();
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    cutAfter(marker) {
      if (!counts.has(marker)) counts.set(marker, 0);
      return new Promise<void>((resolve) => {
        armed = { marker, done: resolve };
      });
    },
    sent(marker) {
      return counts.get(marker) ?? 0;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
