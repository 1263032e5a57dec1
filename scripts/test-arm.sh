#!/usr/bin/env bash
# Cross-builds the kernel layer (-DONEXN_KERNELS_ONLY=ON: format, prune, kernels and their three
# GoogleTest binaries) for aarch64 and armhf with Debian's GCC 12 cross compilers, and runs its
# tests under qemu-user: ctest runs every test through CMAKE_CROSSCOMPILING_EMULATOR, which the
# toolchain files in cmake/toolchains set (gtest_discover_tests lists the tests the same way).
# Build directories: build/cross-aarch64, build/cross-armhf; Highway for armhf is built from
# Debian's source by scripts/build-hwy-armhf.sh into build/cross-deps/hwy-armhf (why: see there).
#
# Arguments: the architectures to do (default: aarch64 armhf). Prints a summary per architecture,
# including the Highway targets the kernel tests ran, which must include NEON. Exits non-zero if
# anything fails. Timing under emulation means nothing; correctness does.
set -euo pipefail
cd "$(dirname "$0")/.."
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(aarch64 armhf)

scripts/install-deps.sh >&2

summary=()
total_passed=0
total_failed=0
status=0
for arch in "${archs[@]}"; do
  case $arch in
    aarch64) triplet=aarch64-linux-gnu ;;
    armhf) triplet=arm-linux-gnueabihf ;;
    *) echo "test-arm: unknown architecture '$arch' (aarch64 or armhf)" >&2; exit 2 ;;
  esac
  dir=build/cross-$arch
  echo "=== test-arm: $arch ($triplet) in $dir"
  t0=$(date +%s)
  extra=()
  ok=1
  problem=""
  if [ "$arch" = armhf ]; then
    if hwy_prefix=$(scripts/build-hwy-armhf.sh build/cross-deps/hwy-armhf | tail -n 1); then
      extra+=("-DCMAKE_PREFIX_PATH=$hwy_prefix")
    else
      ok=0 problem="building Highway for armhf failed"
    fi
  fi
  if [ $ok = 1 ] && ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DONEXN_KERNELS_ONLY=ON \
      -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchains/$triplet.cmake" ${extra[@]+"${extra[@]}"} >&2; then
    ok=0 problem="configure failed"
  fi
  if [ $ok = 1 ] && [ "$arch" = armhf ]; then
    # Debian's libhwy-dev:armhf, if installed, must not be picked up instead (no NEON at run time).
    hwy_dir=$(sed -n 's/^HWY_DIR:PATH=//p' "$dir/CMakeCache.txt")
    case $hwy_dir in
      "$hwy_prefix"/*) ;;
      *) ok=0 problem="found Highway in $hwy_dir, not the NEON build in $hwy_prefix" ;;
    esac
  fi
  if [ $ok = 1 ] && ! cmake --build "$dir" -j "$(nproc)" >&2; then
    ok=0 problem="build failed"
  fi
  t1=$(date +%s)

  passed=0 failed=0 targets=""
  if [ $ok = 1 ]; then
    log=$dir/test-arm-ctest.log
    rc=0
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 900 2>&1 | tee "$log" || rc=$?
    # "100% tests passed, 0 tests failed out of 105"
    counts=$(sed -n 's/^[0-9]*% tests passed, \([0-9]*\) tests\{0,1\} failed out of \([0-9]*\)$/\1 \2/p' "$log" | tail -n 1)
    if [ -n "$counts" ]; then
      failed=${counts% *}
      passed=$(( ${counts#* } - failed ))
    fi
    # The kernel tests print the Highway targets they ran ("targets tested: NEON (25 kernel
    # variants)"); ctest keeps every test's output in LastTest.log.
    targets=$(grep -a -h -o 'targets tested: .*' "$dir"/Testing/Temporary/LastTest*.log 2>/dev/null | tail -n 1 || true)
    targets=${targets#targets tested: }
    if [ "$rc" -ne 0 ]; then
      ok=0 problem="ctest failed (exit $rc)"
    elif [ -z "$counts" ] || [ "$passed" -eq 0 ]; then
      ok=0 problem="ctest ran no test"
    elif [[ " $targets " != *" NEON "* ]]; then
      ok=0 problem="the kernel tests did not run Highway's NEON target (targets: ${targets:-none reported})"
    fi
  fi
  t2=$(date +%s)

  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  if [ $ok = 1 ]; then
    result=PASS
  else
    result="FAIL ($problem)"
    status=1
    # A failure before any test ran counts as one failed test in the closing line.
    [ "$failed" -gt 0 ] || total_failed=$((total_failed + 1))
  fi
  summary+=("$(printf '%-8s %s: %d passed, %d failed; configure+build %ds, tests %ds; Highway targets tested: %s' \
    "$arch" "$result" "$passed" "$failed" $((t1 - t0)) $((t2 - t1)) "${targets:-?}")")
done

echo
echo "=== test-arm summary (qemu-user; times are not performance)"
for line in "${summary[@]}"; do echo "  $line"; done
echo "test-arm: $total_passed passed, $total_failed failed"
exit $status
