#!/usr/bin/env bash
# The whole-model benchmarks: onexn on the pruned model, onexn --dense (both timed by `onexn bench`
# in one process), ONNX Runtime on the dense model and on the pruned file (tools/ort/ort-run.mjs:
# intraOpNumThreads = T, interOpNumThreads 1, graphOptimizationLevel 'all') and, for the
# classifiers on 2 threads, PyTorch eager; the same input, thread count and run count for each,
# interleaved model by model. Models: torchvision ResNet-50 and ResNet-18 pruned 1x16 at 0.7 and
# MobileNetV2 1x4 at 0.5 (224x224), FCN-ResNet50 1x16 at 0.7 and DeepLabV3-MobileNetV3-Large 1x4 at
# 0.5 (320x320, scripts/export-segmentation.py), each pruned by `onexn prune` (rearranged across
# the graph). The whole set runs REPEATS times (the 2-vCPU VMs have noisy periods in which one run
# can be 2x off); scripts/results-models.py reports medians and ratios to ONNX Runtime.
#
# Rewrites docs/results/models-ISA.md and models-ISA-latency.png, ISA being this machine's vector
# ISA: avx512 when /proc/cpuinfo lists AVX-512, else avx2 (else the machine's architecture name).
#
# Environment (defaults in brackets): RUNS [30] timed runs per model and runtime for the
# classifiers, SEG_RUNS [20] for the 320x320 segmentation models, REPEATS [3], THREADS ["1 2"],
# MODELS [all: resnet50 mobilenet_v2 resnet18 fcn_resnet50 deeplabv3_mobilenet_v3_large].
# `onexn bench` takes at least 20 runs: smaller values (a quick check of this script) give onexn 20.
# About 15 minutes with the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)  # also installs ONNX Runtime (scripts/install-ort.sh)
onexn="$build/bin/onexn"
py=/usr/bin/python3
ort_run=tools/ort/ort-run.mjs
dir=build/bench-models
mkdir -p "$dir" docs/results

runs=${RUNS:-30}
seg_runs=${SEG_RUNS:-20}
repeats=${REPEATS:-3}
threads_list=${THREADS:-1 2}
models=${MODELS:-resnet50 mobilenet_v2 resnet18 fcn_resnet50 deeplabv3_mobilenet_v3_large}

if grep -qo 'avx512[a-z]*' /proc/cpuinfo; then
  isa=avx512
elif grep -qw avx2 /proc/cpuinfo; then
  isa=avx2
else
  isa=$(uname -m)
fi

# model -> pattern, sparsity, whether it is a torchvision classifier (224x224, PyTorch baseline)
declare -A pattern=([resnet50]=1x16 [resnet18]=1x16 [mobilenet_v2]=1x4 [fcn_resnet50]=1x16 [deeplabv3_mobilenet_v3_large]=1x4)
declare -A sparsity=([resnet50]=0.7 [resnet18]=0.7 [mobilenet_v2]=0.5 [fcn_resnet50]=0.7 [deeplabv3_mobilenet_v3_large]=0.5)
classifiers=()
segmentation=()
for m in $models; do
  [ -n "${pattern[$m]:-}" ] || { echo "bench-models: unknown model '$m' (known: ${!pattern[*]})" >&2; exit 2; }
  case $m in
    resnet*|mobilenet*) classifiers+=("$m") ;;
    *) segmentation+=("$m") ;;
  esac
done

# Dense models and their inputs: MODEL.onnx, MODEL.input.npy (the graph input "input").
if [ ${#classifiers[@]} -gt 0 ]; then
  $py scripts/export-torchvision.py --out-dir "$dir" "${classifiers[@]}" >/dev/null
  for m in "${classifiers[@]}"; do
    $py -c "import numpy as np, sys
np.save(sys.argv[1], np.random.default_rng(0).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32))" "$dir/$m.input.npy"
  done
fi
if [ ${#segmentation[@]} -gt 0 ]; then
  $py scripts/export-segmentation.py --out-dir "$dir" --reuse "${segmentation[@]}" >/dev/null
fi
# A model onexn cannot prune or run is reported at the end (exit status 1) and still timed in ONNX
# Runtime, so the baseline is there.
failures=()
fail() {  # WHAT ERROR_FILE
  failures+=("$1: $(tail -n 1 "$2")")
  echo "bench-models: $1 failed: $(tail -n 1 "$2")" >&2
}
for m in $models; do
  name=$m-${pattern[$m]}-p${sparsity[$m]}
  rm -f "$dir/$name.onnx"
  "$onexn" prune "$dir/$m.onnx" -o "$dir/$name.onnx" --pattern "${pattern[$m]}" --sparsity "${sparsity[$m]}" \
    >/dev/null 2>"$dir/$name.err" || fail "onexn prune $m" "$dir/$name.err"
done

# `onexn bench` reads the same input when it takes --input NAME=FILE; before that it times its own
# fixed-seed input of the same shape (latency does not depend on the values).
onexn_input() {
  if "$onexn" bench --help 2>/dev/null | grep -q -- '--input'; then
    echo "--input input=$1"
  fi
}

# Appends one JSON line to results.jsonl, tagged with the repeat, the benchmarked pruned model and
# what ran.
record() {  # REPEAT BENCH WHAT < JSON
  sed "s/^{/{\"repeat\":$1,\"bench\":\"$2\",\"what\":\"$3\",/" >> "$dir/results.jsonl"
}

: > "$dir/results.jsonl"
rm -f "$dir"/*.layers.jsonl
for r in $(seq "$repeats"); do
  for threads in $threads_list; do
    for m in $models; do
      name=$m-${pattern[$m]}-p${sparsity[$m]}
      n=$runs
      [[ " ${segmentation[*]:-} " == *" $m "* ]] && n=$seg_runs
      onexn_runs=$(( n < 20 ? 20 : n ))
      input=$dir/$m.input.npy
      echo "bench-models: $name, $threads thread(s), $n runs (repeat $r of $repeats)" >&2
      layers=$dir/$name.t$threads.r$r.layers.jsonl
      if [ -f "$dir/$name.onnx" ]; then
        # shellcheck disable=SC2046
        if "$onexn" bench "$dir/$name.onnx" --threads "$threads" --runs "$onexn_runs" --json \
             $(onexn_input "$input") > "$layers" 2>"$dir/$name.err"; then
          tail -n 1 "$layers" | record "$r" "$name" onexn
        else
          rm -f "$layers"
          fail "onexn bench $name --threads $threads" "$dir/$name.err"
        fi
      fi
      node "$ort_run" "$dir/$m.onnx" "input=$input" --threads "$threads" --runs "$n" | record "$r" "$name" ort_dense
      if [ -f "$dir/$name.onnx" ]; then
        node "$ort_run" "$dir/$name.onnx" "input=$input" --threads "$threads" --runs "$n" | record "$r" "$name" ort_pruned
      fi
      if [ "$threads" = 2 ] && [[ " ${classifiers[*]:-} " == *" $m "* ]]; then
        $py scripts/bench-pytorch.py "$m" "$threads" --runs "$n" | record "$r" "$name" pytorch
      fi
    done
  done
done

printf '%s\n' ${failures[@]+"${failures[@]}"} > "$dir/failures.txt"
command="scripts/bench-models.sh"
for v in RUNS SEG_RUNS REPEATS THREADS MODELS; do
  [ -z "${!v:-}" ] || command="$v='${!v}' $command"
done
$py scripts/results-models.py "$dir" "docs/results/models-$isa.md" "docs/results/models-$isa-latency.png" \
  --command "$command" --isa "$isa"
echo "wrote docs/results/models-$isa.md and docs/results/models-$isa-latency.png" >&2
if [ ${#failures[@]} -gt 0 ]; then
  printf 'bench-models: failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
