/**
 * One server per data folder. Two embedded servers on one folder would each run the queue: the second's
 * recovery would take the first one's running job for abandoned and run it again. The first server to
 * open the folder holds `<data>/latentflow.lock`; a second one refuses to start and names the holder.
 *
 * The lock is an operating-system lock that SQLite takes on that file (an exclusive lock held for as
 * long as the connection is open: `locking_mode = EXCLUSIVE` after a write), so it goes away with the
 * process however that ends (kill -9 included) and is never left stale; no pid is trusted to still mean
 * the same process. The holder's pid is written in the file's header (SQLite's `user_version`, bytes
 * 60-63, big-endian), which the refused process reads from the file directly, since it cannot open it.
 */
import fs from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';

import { StartupError } from '../config.ts';

export class DataFolderLockedError extends StartupError {
  override name = 'DataFolderLockedError';
  constructor(readonly dataDir: string, readonly holderPid: number | null) {
    super(
      `the data folder ${dataDir} is in use by another latentflow server` +
        (holderPid ? ` (process ${holderPid})` : '') +
        `: two servers on one data folder would run the same jobs twice. Stop that server${holderPid ? ` (kill ${holderPid})` : ''}, or start this one with another --data-dir.`,
    );
  }
}

export const LOCK_FILE = 'latentflow.lock';

/** The pid in the lock file's header, or null when it cannot be read. */
function holderPid(file: string): number | null {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const header = Buffer.alloc(4);
      return fs.readSync(fd, header, 0, 4, 60) === 4 ? header.readUInt32BE(0) || null : null;
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
}

export class DataFolderLock {
  private constructor(private readonly db: Database.Database) {}

  /** Takes the data folder's lock, or throws DataFolderLockedError naming the process that holds it. */
  static acquire(dataDir: string): DataFolderLock {
    fs.mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, LOCK_FILE);
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { timeout: 0 });
      db.pragma('journal_mode = DELETE');
      db.pragma('locking_mode = EXCLUSIVE');
      db.pragma(`user_version = ${process.pid}`); // a write: from here on the exclusive lock is held
      return new DataFolderLock(db);
    } catch (error) {
      db?.close();
      if ((error as { code?: string }).code === 'SQLITE_BUSY') throw new DataFolderLockedError(dataDir, holderPid(file));
      throw error;
    }
  }

  release(): void {
    this.db.close();
  }
}
