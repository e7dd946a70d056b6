/**
 * Recognising the storage failures a person must act on, whichever layer raised them: a full disk
 * (SQLite's SQLITE_FULL, the file system's ENOSPC / EDQUOT) and a damaged database file.
 */

function codeOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
}

/** The disk (or quota) holding the data folder is full. */
export function isDiskFull(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}

/** SQLite found the database file damaged (or not a database at all). */
export function isDatabaseDamaged(error: unknown): boolean {
  const code = codeOf(error);
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}

export const DISK_FULL_MESSAGE = 'the disk holding the data folder is full: free some space (old outputs, uploads), then try again';
