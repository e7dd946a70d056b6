/**
 * Resolving client-given names (file names, subfolders, model names, workflow names) inside their root
 * directory. Everything that reaches the disk from a request goes through `resolveInside`, which refuses
 * `..` segments, absolute paths, encoded traversal, NUL bytes, control characters, symlinks that lead
 * out of the root and symlinks that lead nowhere (a dangling link would be followed by a write to
 * wherever it points). A refusal is a `PathError` (the HTTP layer answers 400).
 * File names the server writes or serves follow one rule (nodes/file-names.ts), shared with SaveImage.
 */
import fs from 'node:fs';
import path from 'node:path';

import { FILE_NAME_RULE, fileNameProblem } from '../../nodes/file-names.ts';

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
 * whatever part of the path exists. A symbolic link on the way that points nowhere (or at itself) is
 * refused, as is a file where a folder should be. Returns the absolute path (which may not exist yet).
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
    let real: string | undefined;
    try {
      real = fs.realpathSync(probe);
    } catch {
      if (isSymbolicLink(probe)) throw new PathError(`${what} leads through a symbolic link that points nowhere (or in a loop)`, what);
    }
    if (real !== undefined) {
      const inside = real === realRoot || real.startsWith(realRoot + path.sep);
      if (!inside) throw new PathError(`${what} leads outside its folder (through a symbolic link)`, what);
      if (probe !== target && !fs.statSync(probe).isDirectory()) throw new PathError(`${what} goes through "${path.basename(probe)}", which is a file, not a folder`, what);
      break;
    }
    const parent = path.dirname(probe);
    if (parent === probe || !(parent === absoluteRoot || parent.startsWith(absoluteRoot + path.sep))) break;
    probe = parent;
  }
  return target;
}

function isSymbolicLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false; // not there (or a file stands where a folder should): the walk goes on up
  }
}

/** A safe single file name (no folders), by the rule of nodes/file-names.ts. */
export function checkFileName(name: string, what: string): string {
  const problem = fileNameProblem(name);
  if (problem) throw new PathError(`${what} "${String(name).slice(0, 64)}" is not a valid name: it ${problem}; ${FILE_NAME_RULE}`, what);
  return name;
}

/**
 * A subfolder of the input, output or temp folder as a client names it ("" for the folder itself):
 * a relative path whose every segment is a valid file name (the rule SaveImage's prefixes follow, so
 * whatever a run wrote, /view serves). Returns the absolute folder, inside `root`.
 */
export function resolveSubfolder(root: string, subfolder: string, what = 'subfolder'): string {
  for (const segment of checkRelativePath(subfolder, what, { allowEmpty: true })) checkFileName(segment, what);
  return resolveInside(root, subfolder, what, { allowEmpty: true });
}
