/**
 * Command-line arguments of the bench scripts: `--name value` options and one positional argument
 * (the checkpoint), e.g. `npm run bench:memory -- /tmp/sd15.safetensors --sizes 32,64`.
 */
const argv = process.argv.slice(2);

/** The value after `--name`, or `fallback` when the option is absent. */
export function option(name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

/** The checkpoint path (the first argument that is neither an option nor an option's value); exits with `usage` without one. */
export function checkpointArg(usage: string): string {
  const checkpoint = argv.find((a, i) => !a.startsWith('--') && (i === 0 || !argv[i - 1].startsWith('--')));
  if (checkpoint) return checkpoint;
  console.error(`usage: ${usage}`);
  process.exit(2);
}
