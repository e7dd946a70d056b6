/**
 * The one rule for the names of files latentflow writes and serves (uploads, SaveImage's outputs, saved
 * workflows, `/view`'s filename and every segment of its subfolder): what a node may write, the server
 * may serve, and the other way round. Dependency-free, so nodes (SaveImage) and the server
 * (server/store/paths.ts) read the same rule.
 *
 * A name is 1-128 letters, digits, spaces, dots, dashes, underscores or parentheses, not starting with a
 * dot, without spaces at either end, and at most 200 bytes in UTF-8: file systems count a name's bytes
 * (255 at most), and the server adds suffixes of its own (".json", " (2)", "_00001_.png", a temporary
 * file's ".<pid>.<time>.tmp").
 */

export const FILE_NAME_MAX_CHARS = 128;
export const FILE_NAME_MAX_BYTES = 200;

/** Why `name` is not a valid file name, or null when it is. */
export function fileNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'is not a string';
  if (name === '') return 'is empty';
  const bad = /[^\p{L}\p{N} ._()-]/u.exec(name);
  if (bad) return `may not contain ${JSON.stringify(bad[0])}`;
  if ([...name].length > FILE_NAME_MAX_CHARS) return `is longer than ${FILE_NAME_MAX_CHARS} characters`;
  if (Buffer.byteLength(name, 'utf8') > FILE_NAME_MAX_BYTES) return `is longer than ${FILE_NAME_MAX_BYTES} bytes in UTF-8 (a letter outside ASCII takes 2-4)`;
  if (name.startsWith('.')) return 'starts with a dot';
  if (name.trim() !== name) return 'starts or ends with a space';
  return null;
}

/** The rule in one sentence, for messages. */
export const FILE_NAME_RULE = `use 1-${FILE_NAME_MAX_CHARS} letters, digits, spaces, dots, dashes, underscores or parentheses (at most ${FILE_NAME_MAX_BYTES} bytes), not starting with a dot`;
