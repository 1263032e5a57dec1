#!/usr/bin/env bash
# Installs the missing Debian packages, builds the release preset with its tests, and runs every
# test with ctest. Extra arguments go to that native ctest (e.g. -R OnnxModel). Then cross-builds
# the runtime and the onexn CLI for aarch64 and armhf and runs their tests and whole-model checks
# under qemu (scripts/test-arm.sh); both must pass. Then builds the asan-ubsan preset and runs the format, prune, kernel, runtime-op and
# session tests under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/test-asan.sh).
# ONEXN_SKIP_ARM=1 skips the ARM part, ONEXN_SKIP_ASAN=1 the sanitizer part (quicker local runs; CI
# sets neither).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)
status=0
native_log=$(mktemp)
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@" 2>&1 | tee "$native_log" || status=$?
# "100% tests passed, 0 tests failed out of 230"
counts=$(sed -n 's/^[0-9]*% tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\)$/\1 \2/p' "$native_log" | tail -n 1)
failed=0 passed=0
if [ -n "$counts" ]; then
  failed=${counts% *}
  passed=$(( ${counts#* } - failed ))
fi
rm -f "$native_log"
[ "$status" -eq 0 ] || [ "$failed" -gt 0 ] || failed=1

# run_part SCRIPT NAME: runs SCRIPT, whose last line is "NAME: P passed, F failed", and adds its
# counts; a failure before it printed them counts as one failed test.
run_part() {
  echo
  local log part_status=0 part_counts
  log=$(mktemp)
  "$1" 2>&1 | tee "$log" || part_status=$?
  part_counts=$(sed -n "s/^$2: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2/p" "$log" | tail -n 1)
  rm -f "$log"
  if [ -n "$part_counts" ]; then
    passed=$(( passed + ${part_counts% *} ))
    failed=$(( failed + ${part_counts#* } ))
  elif [ "$part_status" -ne 0 ]; then
    failed=$(( failed + 1 ))
  fi
  [ "$part_status" -eq 0 ] || status=1
}
[ "${ONEXN_SKIP_ARM:-0}" = 1 ] || run_part scripts/test-arm.sh test-arm
[ "${ONEXN_SKIP_ASAN:-0}" = 1 ] || run_part scripts/test-asan.sh test-asan
echo "all: $passed passed, $failed failed"
exit "$status"
