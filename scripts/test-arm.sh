#!/usr/bin/env bash
# Cross-builds the runtime for aarch64 and armhf with Debian's GCC 12 cross compilers: the onexn
# CLI (no training: LibTorch has no ARM cross package here), onexn::runtime and onexn::prune, with
# oneDNN on aarch64 and our own dense kernels on armhf (Debian has no armhf oneDNN), and runs
# under qemu-user: the format, mask, kernel, runtime-op and session tests (ctest runs them through
# CMAKE_CROSSCOMPILING_EMULATOR, which the toolchain files in cmake/toolchains set), the whole-model
# check against the x86 runtime (scripts/check-arm-models.sh: ResNet-18 and MobileNetV2, dense and
# 1x4, four checks) and the Debian packages (scripts/package-deb.sh, one check).
# Build directories: build/cross-aarch64, build/cross-armhf; Highway for armhf is built from
# Debian's source by scripts/build-hwy-armhf.sh into build/cross-deps/hwy-armhf (why: see there);
# ONNX (and oneDNN for arm64), whose -dev packages cannot be installed beside the amd64 ones, are
# unpacked by scripts/cross-sysroot.sh into build/cross-deps/sysroot-ARCH.
#
# Arguments: the architectures to do (default: aarch64 armhf). Prints a summary per architecture,
# including the Highway targets the kernel tests ran, which must include NEON. Exits non-zero if
# anything fails. Timing under emulation means nothing; correctness does.
set -euo pipefail
cd "$(dirname "$0")/.."
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(aarch64 armhf)

scripts/install-deps.sh >&2
host_build=build/release
[ -x "$host_build/bin/onexn" ] || host_build=$(scripts/build.sh release | tail -n 1)
# The test binaries built and run under qemu (their ctest labels are their names); the session
# tests start the ARM onexn and the example through qemu too (tests/CMakeLists.txt,
# onexn_runnable_path), so these are built with them.
test_targets=(format_tests prune_tests kernels_tests kernels_onnx_tests runtime_ops_tests session_tests)
labels=$(IFS='|'; echo "^(${test_targets[*]})\$")
# Left out under qemu: the cases whose cost is timing kernels (tuning ResNets at load), which under
# emulation measures nothing and takes minutes each (aarch64: 341 s, 324 s, 101 s; the other
# session cases take 0.1-112 s); tuning itself still runs under qemu in the tuning-cache,
# conv-implementation and mobilenet_v3_small tuned cases. And the ResNet-50 rearrangement cases
# (164 s; the same code runs on ResNet-18 and MobileNets).
skipped_under_qemu='^(Example\.ClassifyRunsOnResNet18|CliBench\.JsonSummaryHasTheRequiredFields|All/TorchvisionModels\.MatchPyTorch/resnet50_pruned_tuned|Models/RearrangeTorchvision\..*/resnet50)( |$)'

summary=()
total_passed=0
total_failed=0
status=0
for arch in "${archs[@]}"; do
  case $arch in
    aarch64) triplet=aarch64-linux-gnu debarch=arm64 onednn=ON ;;
    armhf) triplet=arm-linux-gnueabihf debarch=armhf onednn=OFF ;;
    *) echo "test-arm: unknown architecture '$arch' (aarch64 or armhf)" >&2; exit 2 ;;
  esac
  dir=build/cross-$arch
  echo "=== test-arm: $arch ($triplet) in $dir"
  t0=$(date +%s)
  extra=()
  ok=1
  problem=""
  if [ "$arch" = armhf ]; then
    hwy_prefix=$(scripts/build-hwy-armhf.sh build/cross-deps/hwy-armhf | tail -n 1) ||
      { ok=0 problem="building Highway for armhf failed"; }
  fi
  prefixes=""
  [ "$arch" = armhf ] && prefixes="$hwy_prefix;"
  if [ $ok = 1 ]; then
    if sysroot=$(scripts/cross-sysroot.sh "$debarch" "build/cross-deps/sysroot-$debarch" | tail -n 1); then
      export ONEXN_CROSS_EXTRA_LIBS=":$sysroot/lib/$triplet"
      extra=("-DCMAKE_PREFIX_PATH=$prefixes$sysroot" "-DONEXN_CROSS_EXTRA_LIBS=$ONEXN_CROSS_EXTRA_LIBS")
    else
      ok=0 problem="unpacking the $debarch packages failed"
    fi
  fi
  if [ $ok = 1 ] && ! cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DONEXN_WITH_TRAINING=OFF -DONEXN_WITH_XNNPACK=OFF -DONEXN_WITH_ONEDNN=$onednn \
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
  if [ $ok = 1 ] && ! cmake --build "$dir" -j "$(nproc)" --target onexn_cli onexn_example_classify "${test_targets[@]}" >&2; then
    ok=0 problem="build failed"
  fi
  t1=$(date +%s)

  passed=0 failed=0 targets=""
  if [ $ok = 1 ]; then
    log=$dir/test-arm-ctest.log
    rc=0
    ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 900 -L "$labels" -E "$skipped_under_qemu" 2>&1 | tee "$log" || rc=$?
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
    # Whole models against the x86 runtime, and the Debian packages: each check counts as a test.
    models_log=$dir/check-arm-models.log
    scripts/check-arm-models.sh "$arch" "$dir" "$host_build" 2>&1 | tee "$models_log" || true
    m_counts=$(sed -n 's/^check-arm-models: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$models_log" | tail -n 1)
    if [ -z "$m_counts" ]; then
      failed=$((failed + 1)); ok=0 problem="check-arm-models.sh did not finish"
    else
      passed=$((passed + ${m_counts% *})); failed=$((failed + ${m_counts#* }))
      [ "${m_counts#* }" -eq 0 ] || { ok=0 problem="whole-model checks failed"; }
    fi
    if scripts/package-deb.sh "$dir" > "$dir/package-deb.log" 2>&1; then
      passed=$((passed + 1)); tail -n 4 "$dir/package-deb.log"
    else
      failed=$((failed + 1)); ok=0 problem="Debian packages: $(grep FAIL "$dir/package-deb.log" | tail -n 1)"
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
