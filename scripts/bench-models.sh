#!/usr/bin/env bash
# The whole-model benchmarks: onexn on the pruned model, onexn --dense (both timed by `onexn bench`
# in one process), ONNX Runtime on the dense model and on the pruned file (tools/ort/ort-run.mjs:
# intraOpNumThreads = T, interOpNumThreads 1, graphOptimizationLevel 'all') and, for the
# classifiers on 2 threads, PyTorch eager; the same input, thread count and run count for each,
# interleaved model by model. Models: torchvision ResNet-50 and ResNet-18 pruned 1x16 at 0.7 and
# MobileNetV2 1x4 at 0.5 (224x224), FCN-ResNet50 1x16 at 0.7 and DeepLabV3-MobileNetV3-Large 1x4 at
# 0.5 (320x320, scripts/export-segmentation.py), each pruned by `onexn prune` (rearranged across
# the graph). The dense models are exported with a symbolic batch (--dynamic-batch): each one file,
# pruned once, timed at every batch of BATCHES (onexn `--batch B`, ONNX Runtime and PyTorch with an
# input of batch B). Order: every repeat runs, batch by batch, each model in every runtime on 1
# thread and then on 2 (so a model's 1- and 2-thread runs are neighbours in time, for the
# thread-scaling ratios) before the next model. The whole set runs REPEATS times (the 2-vCPU VMs
# have noisy periods in which one run can be 2x off); scripts/results-models.py reports medians,
# ratios to ONNX Runtime, images/s above batch 1 and each runtime's 1-thread / 2-thread time.
#
# Rewrites docs/results/models-ISA.md and models-ISA-latency.png, ISA being this machine's vector
# ISA (scripts/vector-isa.sh): avx512 when /proc/cpuinfo lists AVX-512, else avx2 (else the
# machine's architecture name); refused under an ONEXN_MAX_ISA below it, which would cap onexn and
# not ONNX Runtime or PyTorch. RESULTS_DIR [docs/results] puts them elsewhere (quick checks of
# this script, which must not overwrite the records).
#
# Environment (defaults in brackets): BATCHES ["1 8"] the classifiers' batches, SEG_BATCHES ["1"]
# the 320x320 segmentation models' (FCN-ResNet50 at batch 8 would take about 12 minutes a repeat on
# its own), RUNS [30] timed runs per model and runtime for the classifiers at batch 1, RUNS8 [10] at
# every batch above 1, SEG_RUNS [20] and SEG_RUNS8 [5] the same for the segmentation models,
# REPEATS [3], THREADS ["1 2"], MODELS [all: resnet50 mobilenet_v2 resnet18 fcn_resnet50
# deeplabv3_mobilenet_v3_large]. `onexn bench` takes at least 20 runs: smaller values give onexn 20
# (and it adds 3 warm-up rounds and max(5, R/4) profiled runs per variant).
# About 23 minutes with the defaults on 2 Zen 4 vCPUs (about 14 for batch 1, 9 for the classifiers
# at batch 8; estimated from the per-run times of docs/results/models-avx512.md), more on AVX2.
set -euo pipefail
cd "$(dirname "$0")/.."
isa=$(scripts/vector-isa.sh)
if [ "$isa" != "$(scripts/vector-isa.sh --cpu)" ]; then
  # ONNX Runtime and PyTorch would still run at the CPU's ISA: the page would compare two ISAs.
  echo "bench-models: ONEXN_MAX_ISA=$ONEXN_MAX_ISA caps onexn below this CPU's $(scripts/vector-isa.sh --cpu)," \
       "and ONNX Runtime and PyTorch cannot be capped: unset it" >&2
  exit 2
fi
build=$(scripts/build.sh release | tail -n 1)  # also installs ONNX Runtime (scripts/install-ort.sh)
onexn="$build/bin/onexn"
py=/usr/bin/python3
ort_run=tools/ort/ort-run.mjs
dir=build/bench-models
results=${RESULTS_DIR:-docs/results}
mkdir -p "$dir" "$results"

runs=${RUNS:-30}
runs8=${RUNS8:-10}
seg_runs=${SEG_RUNS:-20}
seg_runs8=${SEG_RUNS8:-5}
batches=${BATCHES:-1 8}
seg_batches=${SEG_BATCHES:-1}
repeats=${REPEATS:-3}
threads_list=${THREADS:-1 2}
models=${MODELS:-resnet50 mobilenet_v2 resnet18 fcn_resnet50 deeplabv3_mobilenet_v3_large}


# model -> pattern, sparsity, whether it is a torchvision classifier (224x224, PyTorch baseline)
declare -A pattern=([resnet50]=1x16 [resnet18]=1x16 [mobilenet_v2]=1x4 [fcn_resnet50]=1x16 [deeplabv3_mobilenet_v3_large]=1x4)
declare -A sparsity=([resnet50]=0.7 [resnet18]=0.7 [mobilenet_v2]=0.5 [fcn_resnet50]=0.7 [deeplabv3_mobilenet_v3_large]=0.5)
classifiers=()
segmentation=()
for b in $batches $seg_batches; do
  [[ $b =~ ^[1-9][0-9]*$ ]] || { echo "bench-models: batch '$b' is not a positive integer" >&2; exit 2; }
done
for m in $models; do
  [ -n "${pattern[$m]:-}" ] || { echo "bench-models: unknown model '$m' (known: ${!pattern[*]})" >&2; exit 2; }
  case $m in
    resnet*|mobilenet*) classifiers+=("$m") ;;
    *) segmentation+=("$m") ;;
  esac
done

# Whether a model is a segmentation one, its batches, and its timed runs at a batch.
is_segmentation() {  # MODEL
  [[ " ${segmentation[*]:-} " == *" $1 "* ]]
}
model_batches() {  # MODEL
  if is_segmentation "$1"; then echo "$seg_batches"; else echo "$batches"; fi
}
model_runs() {  # MODEL BATCH
  if is_segmentation "$1"; then
    if [ "$2" = 1 ]; then echo "$seg_runs"; else echo "$seg_runs8"; fi
  elif [ "$2" = 1 ]; then echo "$runs"; else echo "$runs8"; fi
}

# Dense models with a symbolic batch, MODEL.onnx, and their inputs MODEL.bB.input.npy for each
# batch B (the graph input "input"; fixed-seed uniform values, the segmentation models' batch-1
# input is the one the exporter saved).
if [ ${#classifiers[@]} -gt 0 ]; then
  $py scripts/export-torchvision.py --out-dir "$dir" --dynamic-batch "${classifiers[@]}" >/dev/null
fi
if [ ${#segmentation[@]} -gt 0 ]; then
  $py scripts/export-segmentation.py --out-dir "$dir" --reuse --dynamic-batch "${segmentation[@]}" >/dev/null
fi
for m in $models; do
  size=224
  ! is_segmentation "$m" \
    || size=$($py -c "import numpy as np, sys; print(np.load(sys.argv[1]).shape[-1])" "$dir/$m.input.npy")
  for b in $(model_batches "$m"); do
    if is_segmentation "$m" && [ "$b" = 1 ]; then
      cp "$dir/$m.input.npy" "$dir/$m.b1.input.npy"
    else
      $py -c "import numpy as np, sys
b, s = int(sys.argv[2]), int(sys.argv[3])
np.save(sys.argv[1], np.random.default_rng(0).uniform(-1, 1, (b, 3, s, s)).astype(np.float32))" \
        "$dir/$m.b$b.input.npy" "$b" "$size"
    fi
  done
done
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

# Appends one JSON line to results.jsonl, tagged with the repeat, the benchmarked pruned model, what
# ran and the batch (`onexn bench --json` and bench-pytorch.py report their batch themselves: those
# lines keep theirs, which is the batch of the tensors that ran).
record() {  # REPEAT BENCH WHAT BATCH < JSON
  sed -e "/\"batch\":/! s/^{/{\"batch\":$4,/" \
      -e "s/^{/{\"repeat\":$1,\"bench\":\"$2\",\"what\":\"$3\",/" >> "$dir/results.jsonl"
}

: > "$dir/results.jsonl"
rm -f "$dir"/*.layers.jsonl
# shellcheck disable=SC2086  # the lists split into words
all_batches=$(printf '%s\n' $batches $seg_batches | sort -nu)
for r in $(seq "$repeats"); do
  for b in $all_batches; do
    for m in $models; do
      [[ " $(model_batches "$m" | tr '\n' ' ') " == *" $b "* ]] || continue
      name=$m-${pattern[$m]}-p${sparsity[$m]}
      n=$(model_runs "$m" "$b")
      onexn_runs=$(( n < 20 ? 20 : n ))
      input=$dir/$m.b$b.input.npy
      for threads in $threads_list; do
        echo "bench-models: $name, batch $b, $threads thread(s), $n runs (repeat $r of $repeats)" >&2
        layers=$dir/$name.b$b.t$threads.r$r.layers.jsonl
        if [ -f "$dir/$name.onnx" ]; then
          if "$onexn" bench "$dir/$name.onnx" --batch "$b" --input "input=$input" --threads "$threads" \
               --runs "$onexn_runs" --json > "$layers" 2>"$dir/$name.err"; then
            tail -n 1 "$layers" | record "$r" "$name" onexn "$b"
          else
            rm -f "$layers"
            fail "onexn bench $name --batch $b --threads $threads" "$dir/$name.err"
          fi
        fi
        node "$ort_run" "$dir/$m.onnx" "input=$input" --threads "$threads" --runs "$n" \
          | record "$r" "$name" ort_dense "$b"
        if [ -f "$dir/$name.onnx" ]; then
          node "$ort_run" "$dir/$name.onnx" "input=$input" --threads "$threads" --runs "$n" \
            | record "$r" "$name" ort_pruned "$b"
        fi
        if [ "$threads" = 2 ] && ! is_segmentation "$m"; then
          $py scripts/bench-pytorch.py "$m" "$threads" --runs "$n" --batch "$b" | record "$r" "$name" pytorch "$b"
        fi
      done
    done
  done
done

printf '%s\n' ${failures[@]+"${failures[@]}"} > "$dir/failures.txt"
settings=""  # the variables set, in the order of the list
for v in BATCHES SEG_BATCHES RUNS RUNS8 SEG_RUNS SEG_RUNS8 REPEATS THREADS MODELS; do
  [ -z "${!v:-}" ] || settings+="$v='${!v}' "
done
command="${settings}scripts/bench-models.sh"
$py scripts/results-models.py "$dir" "$results/models-$isa.md" "$results/models-$isa-latency.png" \
  --command "$command" --isa "$isa"
echo "wrote $results/models-$isa.md and $results/models-$isa-latency.png" >&2
if [ ${#failures[@]} -gt 0 ]; then
  printf 'bench-models: failed: %s\n' "${failures[@]}" >&2
  exit 1
fi
