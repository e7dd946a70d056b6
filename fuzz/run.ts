/**
 * `npm run fuzz -- --seconds N [--target NAME] [--seed S]`: builds the libFuzzer targets (fuzz/Makefile,
 * clang + ASan + UBSan) and runs each for N seconds, then the TypeScript PNG fuzzer (fuzz/png.ts).
 * Prints executions and findings per target; exits 1 when anything was found.
 *
 * Each libFuzzer target starts from its seed corpus (fuzz/corpus/<target>/, committed) plus what
 * earlier runs found (fuzz/build/work/<target>/, not committed). A finding is written under
 * fuzz/build/crashes/<target>/; reproduce it with `fuzz/build/<target> <file>`, then make it a
 * regression seed in fuzz/make-corpus.ts and a test (test/reliability/fuzz-regressions.test.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { fuzzPng } from './png.ts';

const here = import.meta.dirname;
const NATIVE_TARGETS = ['safetensors', 'checkpoint_single_file'] as const;
const ALL = [...NATIVE_TARGETS, 'png'] as const;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const seconds = Number(arg('seconds') ?? 60);
const only = arg('target');
const seed = arg('seed') !== undefined ? Number(arg('seed')) : undefined;
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error('--seconds must be a positive number');
if (only && !(ALL as readonly string[]).includes(only)) throw new Error(`--target must be one of ${ALL.join(', ')}`);
const targets = ALL.filter((t) => !only || t === only);

interface Row {
  target: string;
  execs: number;
  seconds: number;
  findings: string[];
}
const rows: Row[] = [];

if (targets.some((t) => t !== 'png')) {
  const clang = spawnSync('clang++', ['--version'], { encoding: 'utf8' });
  if (clang.status !== 0) {
    console.error('clang++ not found: apt-get install -y clang libclang-rt-14-dev (Debian), or run with --target png');
    process.exit(2);
  }
  const make = spawnSync('make', ['-C', here, '-j2', '--no-print-directory', ...NATIVE_TARGETS.map((t) => `build/${t}`)], { stdio: 'inherit' });
  if (make.status !== 0) process.exit(2);
}

for (const target of targets) {
  if (target === 'png') {
    const result = await fuzzPng({ seconds, seed, corpusDir: path.join(here, 'corpus/png'), crashDir: path.join(here, 'build/crashes/png'), log: console.log });
    rows.push({ target: result.target, execs: result.execs, seconds, findings: result.crashes });
    continue;
  }
  const work = path.join(here, 'build/work', target);
  const crashes = path.join(here, 'build/crashes', target);
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(crashes, { recursive: true });
  const before = new Set(fs.readdirSync(crashes));
  const started = performance.now();
  const run = spawnSync(
    path.join(here, 'build', target),
    [
      `-max_total_time=${seconds}`,
      '-timeout=20', // a single input running 20 s is a finding (hang)
      '-rss_limit_mb=2560',
      '-print_final_stats=1',
      ...(seed !== undefined ? [`-seed=${seed}`] : []),
      `-artifact_prefix=${crashes}/`,
      work,
      path.join(here, 'corpus', target),
    ],
    { encoding: 'utf8', maxBuffer: 256 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:allocator_may_return_null=0', UBSAN_OPTIONS: 'print_stacktrace=1' } },
  );
  // The targets' scratch folder (fuzz/targets/fuzz_files.h), also when the fuzzer died on a finding.
  for (const base of ['/dev/shm', process.env.TMPDIR ?? '/tmp']) fs.rmSync(path.join(base, `latentflow-fuzz-${run.pid}`), { recursive: true, force: true });
  const log = `${run.stdout}${run.stderr}`;
  fs.writeFileSync(path.join(here, 'build', `${target}.log`), log);
  const execs = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(log)?.[1] ?? /Done (\d+) runs/.exec(log)?.[1] ?? 0);
  const findings = fs.readdirSync(crashes).filter((f) => !before.has(f)).map((f) => path.join(crashes, f));
  if (run.status !== 0 && findings.length === 0) findings.push(`exit ${run.status ?? run.signal}: see fuzz/build/${target}.log`);
  for (const line of log.split('\n').filter((l) => /ERROR: |SUMMARY: |runtime error:/.test(l)).slice(0, 5)) console.log(`${target}: ${line}`);
  rows.push({ target, execs, seconds: Math.round((performance.now() - started) / 1000), findings });
}

console.log('\ntarget                                       executions   seconds   findings');
for (const r of rows) console.log(`${r.target.padEnd(44)} ${String(r.execs).padStart(10)} ${String(r.seconds).padStart(9)} ${String(r.findings.length).padStart(10)}`);
for (const r of rows) for (const f of r.findings) console.log(`  ${r.target}: ${f}`);
process.exit(rows.some((r) => r.findings.length > 0) ? 1 : 0);
