#!/usr/bin/env bash
# The ARM runtime against the x86 one on whole models: torchvision ResNet-18 and MobileNetV2
# (fixed-seed weights, scripts/export-torchvision.py), dense and pruned 1x4 at 0.5 (pruned by the
# x86 onexn), one fixed input. The cross-built onexn runs each under qemu-user; its output must be
# within 1e-4 (max abs) of the x86 onexn's and its printed top-5 classes the same.
#
#   scripts/check-arm-models.sh ARCH CROSS_BUILD_DIR X86_BUILD_DIR     (ARCH: aarch64 or armhf)
#
# Prints one "check-arm-models: PASS|FAIL MODEL ..." line per model and, last,
# "check-arm-models: P passed, F failed". Kernel timing is off (--no-tune): under emulation it
# measures nothing.
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 aarch64|armhf CROSS_BUILD_DIR X86_BUILD_DIR" >&2; exit 2; }
arch=$1
cross=$(cd "$2" && pwd)
host=$(cd "$3" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
case $arch in aarch64 | armhf) ;; *) echo "check-arm-models: unknown architecture '$arch'" >&2; exit 2 ;; esac
# The cross build's onexn through its toolchain file's emulator (qemu-user with the CPU and the
# library folders set there), as the tests run it (tests/CMakeLists.txt, onexn_runnable_path).
arm_onexn=$cross/emulated/onexn_cli
[ -x "$arm_onexn" ] || { echo "check-arm-models: $arm_onexn missing (configure $cross with its toolchain file)" >&2; exit 1; }
work=$cross/arm-models
mkdir -p "$work"
export ONEXN_TUNING_CACHE=off

models=$host/test-models
if [ ! -f "$models/resnet18.onnx" ] || [ ! -f "$models/mobilenet_v2.onnx" ]; then
  /usr/bin/python3 "$src/scripts/export-torchvision.py" --out-dir "$models" resnet18 mobilenet_v2 >&2
fi
/usr/bin/python3 -c "import numpy as np; np.save('$work/x.npy', np.random.default_rng(7).standard_normal((1, 3, 224, 224)).astype(np.float32))"

passed=0 failed=0
for name in resnet18 mobilenet_v2; do
  cp "$models/$name.onnx" "$work/$name.onnx"
  "$host/bin/onexn" prune "$work/$name.onnx" -o "$work/$name-1x4.onnx" --pattern 1x4 --sparsity 0.5 > /dev/null
  for model in "$name" "$name-1x4"; do
    m=$work/$model.onnx
    ok=1 why=""
    "$host/bin/onexn" run "$m" --input "$work/x.npy" --output "$work/$model-x86.npy" --threads 1 --no-tune \
      > "$work/$model-x86.txt" 2>&1 || { ok=0 why="x86 run failed"; }
    if [ $ok = 1 ] && ! "$arm_onexn" run "$m" --input "$work/x.npy" --output "$work/$model-arm.npy" \
        --threads 1 --no-tune > "$work/$model-arm.txt" 2>&1; then
      ok=0 why="ARM run failed: $(tail -n 1 "$work/$model-arm.txt")"
    fi
    diff=""
    if [ $ok = 1 ]; then
      diff=$(/usr/bin/python3 -c "import numpy as np; a=np.load('$work/$model-x86.npy'); b=np.load('$work/$model-arm.npy'); print(f'{float(np.abs(a-b).max()):.3g}' if a.shape==b.shape else 'shape')")
      top_x86=$(grep -o 'top-5: .*' "$work/$model-x86.txt" | sed 's/ ([^)]*)//g')
      top_arm=$(grep -o 'top-5: .*' "$work/$model-arm.txt" | sed 's/ ([^)]*)//g')
      if [ "$diff" = shape ] || ! /usr/bin/python3 -c "import sys; sys.exit(0 if float('$diff') <= 1e-4 else 1)"; then
        ok=0 why="max abs difference $diff > 1e-4"
      elif [ -z "$top_x86" ] || [ "$top_x86" != "$top_arm" ]; then
        ok=0 why="top-5 differ: x86 '$top_x86', ARM '$top_arm'"
      fi
    fi
    if [ $ok = 1 ]; then
      passed=$((passed + 1))
      echo "check-arm-models: PASS $arch $model: max abs difference $diff, $top_arm (classes)"
    else
      failed=$((failed + 1))
      echo "check-arm-models: FAIL $arch $model: $why"
    fi
  done
done
echo "check-arm-models: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
