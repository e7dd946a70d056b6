/** `latentflow nodes`: the node types this install offers. */
import { createHost } from '../host.ts';
import { REPO_ROOT } from '../config.ts';
import path from 'node:path';
import os from 'node:os';

export function nodesCommand(args: string[]): number {
  const host = createHost({ dataDir: path.join(os.tmpdir(), 'latentflow-cli'), modelsDir: path.join(REPO_ROOT, 'models') });
  const catalog = host.registry.catalog({ paths: host.paths });
  if (args.includes('--json')) {
    process.stdout.write(`${JSON.stringify(catalog, null, 2)}\n`);
    return 0;
  }
  const byCategory = new Map<string, string[]>();
  for (const [type, entry] of Object.entries(catalog)) {
    const list = byCategory.get(entry.category) ?? [];
    list.push(`  ${type.padEnd(28)} ${entry.description}`);
    byCategory.set(entry.category, list);
  }
  for (const [category, lines] of [...byCategory].sort()) process.stdout.write(`${category}\n${lines.sort().join('\n')}\n`);
  return 0;
}
