/**
 * Reading `--flag value` and `--flag=value` arguments, shared by `latentflow serve` and `latentflow worker`:
 * calls `handle(flag, value)` per flag; `value()` takes the flag's value (or fails with `fail`).
 */
export function forEachFlag(argv: string[], handle: (flag: string, value: () => string) => void, fail: (message: string) => Error): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    handle(flag, () => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw fail(`${flag} needs a value`);
      return v;
    });
  }
}
