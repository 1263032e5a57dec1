#!/usr/bin/env bash
# Builds the asan-ubsan preset (Debug -O1, AddressSanitizer + UndefinedBehaviorSanitizer, no
# LibTorch) and runs the tests of the format, prune, kernel, runtime-op and session layers under
# it. The session tests and their fixtures run the instrumented onexn CLI and example too. Any
# report fails the test that triggered it: a UBSan finding aborts (-fno-sanitize-recover), ASan
# aborts on its first error, LeakSanitizer fails the process at exit. ASAN/UBSAN/LSAN_OPTIONS are
# in the preset's environment (CMakePresets.json), so `ctest --preset asan-ubsan` by hand gets them
# too; the leak suppressions for what is not ours are tools/sanitizers/lsan.supp (see the README
# there). Build directory: build/asan-ubsan.
#
# Arguments go to ctest (e.g. -R SessionApi). Prints a summary; its last line is
# "test-asan: P passed, F failed". Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh >&2

# The test binaries of these layers, and what their tests and fixtures run.
labels=(format_tests prune_tests kernels_tests kernels_onnx_tests runtime_ops_tests session_tests)
targets=("${labels[@]}" onexn_cli onexn_example_classify)
dir=build/asan-ubsan

t0=$(date +%s)
ok=1 problem=""
if ! cmake --preset asan-ubsan >&2; then
  ok=0 problem="configure failed"
elif ! cmake --build --preset asan-ubsan -j "$(nproc)" --target "${targets[@]}" >&2; then
  ok=0 problem="build failed"
fi
t1=$(date +%s)

passed=0 failed=0
if [ $ok = 1 ]; then
  log=$dir/test-asan-ctest.log
  rc=0
  label_regex="^($(IFS='|'; echo "${labels[*]}"))\$"
  # -L selects the tests of these binaries; ctest adds the fixtures they require (model exports).
  ctest --preset asan-ubsan -j "$(nproc)" --timeout 1500 -L "$label_regex" "$@" 2>&1 | tee "$log" || rc=$?
  # "100% tests passed, 0 tests failed out of 105"
  counts=$(sed -n 's/^[0-9]*% tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\)$/\1 \2/p' "$log" | tail -n 1)
  if [ -n "$counts" ]; then
    failed=${counts% *}
    passed=$(( ${counts#* } - failed ))
  fi
  if [ "$rc" -ne 0 ]; then
    ok=0 problem="ctest failed (exit $rc)"
  elif [ -z "$counts" ] || [ "$passed" -eq 0 ]; then
    ok=0 problem="ctest ran no test"
  fi
fi
t2=$(date +%s)

if [ $ok = 1 ]; then
  result=PASS
else
  result="FAIL ($problem)"
  # A failure before any test ran counts as one failed test in the closing line.
  [ "$failed" -gt 0 ] || failed=1
fi
echo
echo "=== test-asan summary (AddressSanitizer + UndefinedBehaviorSanitizer, $dir)"
printf '  %s: %d passed, %d failed; configure+build %ds, tests %ds\n' \
  "$result" "$passed" "$failed" $((t1 - t0)) $((t2 - t1))
echo "test-asan: $passed passed, $failed failed"
[ $ok = 1 ]
