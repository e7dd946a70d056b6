/**
 * Resolving client-given names (file names, subfolders, model names, workflow names) inside their root
 * directory. Everything that reaches the disk from a request goes through `resolveInside`, which refuses
 * `..` segments, absolute paths, encoded traversal, NUL bytes, control characters and symlinks that lead
 * out of the root. A refusal is a `PathError` (the HTTP layer answers 400).
 */
import fs from 'node:fs';
import path from 'node:path';

export class PathError extends Error {
  override name = 'PathError';
  constructor(message: string, readonly what: string) {
    super(message);
  }
}

/** Checks one client-given relative path; returns its normalised segments. */
export function checkRelativePath(userPath: string, what: string, { allowEmpty = false } = {}): string[] {
  if (typeof userPath !== 'string') throw new PathError(`${what} must be a string`, what);
  if (userPath === '') {
    if (allowEmpty) return [];
    throw new PathError(`${what} is empty`, what);
  }
  if (userPath.length > 1024) throw new PathError(`${what} is longer than 1024 characters`, what);
  if (/[\x00-\x1f\x7f]/.test(userPath)) throw new PathError(`${what} contains a NUL or control character`, what);
  if (/%(2e|2f|5c|00)/i.test(userPath)) throw new PathError(`${what} contains an encoded path character (%2e, %2f, %5c or %00)`, what);
  if (userPath.includes('\\')) throw new PathError(`${what} contains a backslash`, what);
  if (path.posix.isAbsolute(userPath) || /^[A-Za-z]:/.test(userPath)) throw new PathError(`${what} must be relative, not an absolute path`, what);
  const segments = userPath.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) throw new PathError(`${what} must not contain ".."`, what);
  if (segments.length === 0 && !allowEmpty) throw new PathError(`${what} names no file`, what);
  return segments;
}

/**
 * Joins `userPath` onto `root` and checks the result stays inside `root`, following symlinks of
 * whatever part of the path exists. Returns the absolute path (which may not exist yet).
 */
export function resolveInside(root: string, userPath: string, what: string, options: { allowEmpty?: boolean } = {}): string {
  const segments = checkRelativePath(userPath, what, options);
  const absoluteRoot = path.resolve(root);
  const target = path.join(absoluteRoot, ...segments);
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(absoluteRoot);
  } catch {
    realRoot = absoluteRoot;
  }
  // Walk up to the deepest existing ancestor and check its real path is inside the real root.
  let probe = target;
  for (;;) {
    try {
      const real = fs.realpathSync(probe);
      const inside = real === realRoot || real.startsWith(realRoot + path.sep);
      if (!inside) throw new PathError(`${what} leads outside its folder (through a symbolic link)`, what);
      break;
    } catch (error) {
      if (error instanceof PathError) throw error;
      const parent = path.dirname(probe);
      if (parent === probe || !(parent === absoluteRoot || parent.startsWith(absoluteRoot + path.sep))) break;
      probe = parent;
    }
  }
  return target;
}

/** A safe single file name (no folders): letters, digits, space, dot, dash, underscore, 1-128 chars. */
export function checkFileName(name: string, what: string): string {
  if (typeof name !== 'string' || !/^[\p{L}\p{N} ._()-]{1,128}$/u.test(name) || name.startsWith('.') || name.trim() !== name) {
    throw new PathError(
      `${what} "${String(name).slice(0, 64)}" is not a valid name: use 1-128 letters, digits, spaces, dots, dashes, underscores or parentheses, not starting with a dot`,
      what,
    );
  }
  return name;
}
