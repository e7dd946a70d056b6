#!/usr/bin/env bash
# npm run test:asan — the native test subset (test/native/**) against an addon built with
# AddressSanitizer + UndefinedBehaviorSanitizer (binding.gyp honours LATENTFLOW_SANITIZE=1).
#
# The sanitized addon (and the C++ programs beside it: sdn_ops_test, the op test program that
# test/native/ops/ops.test.ts runs, sdn_t2i_adapter_test (test/native/models/t2i-adapter.test.ts) and
# sdn_ops_bench) is built in a copy of native/ under .asan/
# (ignored by git), with the programs' sources copied to the same relative places, so the normal build
# in native/build/ is never touched; the tests load it through LATENTFLOW_ADDON.
# node itself is not instrumented, so gcc's ASan runtime is preloaded (LD_PRELOAD) into every node
# process (vitest's forks and the tests' own child processes inherit it).
#   detect_leaks=0: LeakSanitizer would report V8's and node's own allocations that live until exit,
#                   none of which are ours; leaks of the engine are covered by `npm run bench:leak`.
#   halt_on_error (UBSan) / abort (ASan): the first report fails the test that triggered it; every
#   report is also written under .asan/reports/, and the script fails if any file appears there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/.asan

rm -rf "$work/native/src" "$work/native/include" "$work/test" "$work/bench" "$work/reports"
mkdir -p "$work/native" "$work/reports" "$work/test/native/models" "$work/bench"
cp -r native/src native/include native/scripts native/binding.gyp "$work/native/"
cp -r test/native/ops "$work/test/native/"
cp -r test/native/models/t2i_adapter "$work/test/native/models/"
cp -r bench/native "$work/bench/"

echo "== building the sanitized addon in .asan/native (LATENTFLOW_SANITIZE=1)"
LATENTFLOW_SANITIZE=1 npx node-gyp rebuild --jobs "$(nproc)" --directory "$work/native" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
addon=$work/native/build/Release/latentflow.node
ldd "$addon" | grep libasan >/dev/null || { echo "the addon is not linked with libasan: the sanitize flags did not apply"; exit 1; }

asan_runtime=$(gcc -print-file-name=libasan.so)
[ -f "$asan_runtime" ] || { echo "gcc has no ASan runtime (libasan.so); Debian: apt-get install libasan8 (it comes with gcc)"; exit 1; }

export LATENTFLOW_ADDON=$addon
export LD_PRELOAD=$asan_runtime
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:log_path=$work/reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$work/reports/ubsan"
export LATENTFLOW_THREADS=${LATENTFLOW_THREADS:-2}

echo "== built in $SECONDS s; vitest run test/native with the sanitized addon"
status=0
npx vitest run test/native "$@" || status=$?
unset LD_PRELOAD

reports=$(find "$work/reports" -type f | wc -l)
if [ "$reports" -gt 0 ]; then
  echo "== $reports sanitizer report(s):"
  for f in "$work/reports"/*; do echo "--- $f"; head -40 "$f"; done
  exit 1
fi
echo "== sanitizer reports: 0"
exit $status
