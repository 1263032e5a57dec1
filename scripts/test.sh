#!/usr/bin/env bash
# Installs the missing Debian packages, builds the release preset with its tests, and runs every
# test with ctest. Extra arguments go to that native ctest (e.g. -R OnnxModel). Then cross-builds
# the kernel layer for aarch64 and armhf and runs its tests under qemu (scripts/test-arm.sh); both
# must pass. ONEXN_SKIP_ARM=1 skips the ARM part (quicker local runs; CI does not set it).
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

if [ "${ONEXN_SKIP_ARM:-0}" != 1 ]; then
  echo
  arm_log=$(mktemp)
  arm_status=0
  scripts/test-arm.sh 2>&1 | tee "$arm_log" || arm_status=$?
  # Its last line: "test-arm: P passed, F failed".
  arm_counts=$(sed -n 's/^test-arm: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$arm_log" | tail -n 1)
  rm -f "$arm_log"
  if [ -n "$arm_counts" ]; then
    passed=$(( passed + ${arm_counts% *} ))
    failed=$(( failed + ${arm_counts#* } ))
  elif [ "$arm_status" -ne 0 ]; then
    failed=$(( failed + 1 ))
  fi
  [ "$arm_status" -eq 0 ] || status=1
fi
echo "all: $passed passed, $failed failed"
exit "$status"
