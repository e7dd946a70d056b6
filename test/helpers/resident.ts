/**
 * This process's resident memory by mapping, from /proc/self/smaps: how the weight tests see which file's pages
 * (a checkpoint's, a q8_0 spill's) are held right now.
 */
import { readFileSync } from 'node:fs';

/** The mappings' paths as smaps names them, with the resident bytes of each mapping. */
function mappings(): { path: string; rss: number }[] {
  const out: { path: string; rss: number }[] = [];
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) out.push({ path: head[1].trimEnd(), rss: 0 });
    else if (out.length && line.startsWith('Rss:')) out[out.length - 1].rss += Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  return out;
}

/** Resident bytes of this process's mappings whose path passes `test`. */
export function residentBytes(test: (mappedPath: string) => boolean): number {
  return mappings().filter((m) => test(m.path)).reduce((sum, m) => sum + m.rss, 0);
}

/** Resident bytes of every mapping of the file `target`. */
export function residentBytesOf(target: string): number {
  return residentBytes((p) => p.endsWith(target));
}

/** Whether a mapping's path is a q8_0 spill file (native/src/io/weight_spill.h): O_TMPFILE's "<dir>/#<inode>
 *  (deleted)", or the unlinked ".latentflow-spill-*" of file systems without it (not V8's "/memfd:... (deleted)"). */
export const isSpill = (mappedPath: string) => /\/(#\d+|\.latentflow-spill-\w+) \(deleted\)$/.test(mappedPath);

/** The spill files this process maps. */
export function spillFiles(): string[] {
  return [...new Set(mappings().map((m) => m.path).filter(isSpill))];
}
