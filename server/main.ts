/**
 * `npm start` / `latentflow serve`: starts latentflow on its embedded defaults and prints the URL.
 */
import { parseServeArgs, StartupError, UsageError } from './config.ts';
import { startServer } from './app.ts';
import { redactUrl } from './jobs/redis/redis-queue.ts';

export async function serve(argv: string[]): Promise<void> {
  let options;
  try {
    options = parseServeArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`latentflow serve: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  let server;
  try {
    server = await startServer(options);
  } catch (error) {
    // A reason a person can act on (the data folder is in use, the database is damaged): said plainly.
    if (error instanceof StartupError) {
      console.error(`latentflow serve: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  console.log(`latentflow is serving ${server.url}${options.token ? '?token=<your token>' : ''}`);
  console.log(`  data: ${options.dataDir}   models: ${options.modelsDir}`);
  console.log(options.redis ? `  queue: Redis ${redactUrl(options.redis.url)} (jobs run on \`latentflow worker\` processes)` : '  queue: embedded (jobs run in this process)');
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    console.log('latentflow: shutting down');
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await serve(process.argv.slice(2));
}
