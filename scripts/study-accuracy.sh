#!/usr/bin/env bash
# The accuracy study of docs/results/accuracy.md (issue 6): for ResNet-20 and MobileNetV2 on
# Fashion-MNIST, one dense checkpoint per model, then from it one fine-tune per cell of
#   pattern {dense, unstructured, filter, 1x2, 1x4, 1x8, 1x16, 1x32} x p {0.5, 0.7, 0.9}
#   x rearrange {none, paper, graph},
# less the cells that are the same run: dense has no p and nothing to rearrange (one run, fine-tuned
# as long as the others without masks); unstructured and filter masks do not depend on the order of
# the filters (a permutation moves each score with its weight or filter), so they run with
# --rearrange none only. 2 x (1 + 1 + 2 x 3 + 5 x 3 x 3) = 106 runs. Rewrites
# docs/results/accuracy.md and docs/results/accuracy.png.
#
#   scripts/study-accuracy.sh [DIR]        (default build/study; runs go to DIR/MODEL-PATTERN-P-REARRANGE)
#
# Resumable: a run whose DIR/RUN/metrics.json exists is skipped, an interrupted one continues from
# its checkpoint (--resume). Use a new DIR when changing the budget below. Sized by environment:
#   DENSE_EPOCHS       dense phase epochs                              (default 12)
#   DENSE_TRAIN_LIMIT  training images per dense epoch, 0 = all 60,000 (default 0)
#   DENSE_THREADS      LibTorch threads of the dense runs, one at a time (default 2)
#   EPOCHS             fine-tune epochs of every other run              (default 1)
#   TRAIN_LIMIT        training images per fine-tune epoch              (default 10000)
#   TEST_LIMIT         test images, 0 = all 10,000                     (default 0)
#   THREADS            LibTorch threads per fine-tune run               (default 1)
#   JOBS               fine-tune runs at once                           (default 2)
#   SEED          seed of every run                         (default 1)
#   MODELS, PATTERNS, SPARSITIES, REARRANGES   subsets of the grid (space-separated)
#   TRAIN_ARGS    more `onexn train` options for every run (e.g. "--width 0.5")
#   ONEXN         the onexn binary (default: build the release preset with scripts/build.sh)
#   OUT_MD, OUT_PNG  where the results go (default docs/results/accuracy.md, .png)
# The cost with the defaults is in docs/study.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build/study}
dense_epochs=${DENSE_EPOCHS:-12}
dense_train_limit=${DENSE_TRAIN_LIMIT:-0}
dense_threads=${DENSE_THREADS:-2}
epochs=${EPOCHS:-1}
train_limit=${TRAIN_LIMIT:-10000}
test_limit=${TEST_LIMIT:-0}
threads=${THREADS:-1}
max_jobs=${JOBS:-2}
seed=${SEED:-1}
models=${MODELS:-resnet20 mobilenetv2}
patterns=${PATTERNS:-dense unstructured filter 1x2 1x4 1x8 1x16 1x32}
sparsities=${SPARSITIES:-0.5 0.7 0.9}
rearranges=${REARRANGES:-none paper graph}
read -r -a extra <<<"${TRAIN_ARGS:-}"
if [[ -n ${ONEXN:-} ]]; then
  onexn=$ONEXN
else
  onexn="$(scripts/build.sh release | tail -n 1)/bin/onexn"
fi
out_md=${OUT_MD:-docs/results/accuracy.md}
out_png=${OUT_PNG:-docs/results/accuracy.png}
mkdir -p "$dir/logs" "$(dirname "$out_md")" "$(dirname "$out_png")"
rm -f "$dir/failed.txt"
common=(--test-limit "$test_limit" --seed "$seed" "${extra[@]}")

# train NAME ARGS...: `onexn train ARGS` into DIR/NAME, its output in DIR/logs/NAME.log; failures are
# listed in DIR/failed.txt and do not stop the study.
train() {
  local name=$1 out=$dir/$1 log=$dir/logs/$1.log
  shift
  [[ -f $out/metrics.json ]] && return 0
  if [[ -f $out/checkpoint.pt ]]; then
    echo "$(date +%T) resume $name" >&2
    "$onexn" train "$@" "${common[@]}" --resume --out "$out" >"$log" 2>&1 && return 0
    echo "$(date +%T) $name: --resume failed (see $log); starting it again" >&2
    mv "$log" "$log.resume-failed"
    rm -rf "$out"
  fi
  echo "$(date +%T) train $name" >&2
  if ! "$onexn" train "$@" "${common[@]}" --out "$out" >"$log" 2>&1; then
    echo "$(date +%T) $name FAILED: $(tail -n 1 "$log")" >&2
    echo "$name" >>"$dir/failed.txt"
  fi
}

# launch NAME ARGS...: train in the background, at most JOBS at once.
launch() {
  while (($(jobs -rp | wc -l) >= max_jobs)); do wait -n || true; done
  train "$@" &
}

start=$(date +%s)
# The dense checkpoints first, one at a time on DENSE_THREADS threads: every other run of a model
# starts from its DIR/MODEL-dense/dense.pt.
for m in $models; do
  train "$m-dense" --model "$m" --pattern dense --dense-epochs "$dense_epochs" --epochs 0 \
    --train-limit "$dense_train_limit" --threads "$dense_threads"
done
for m in $models; do
  ckpt=$dir/$m-dense/dense.pt
  if [[ ! -f $ckpt ]]; then
    echo "$m: no dense checkpoint $ckpt (see $dir/logs/$m-dense.log); skipping its grid" >&2
    continue
  fi
  from=(--model "$m" --from "$ckpt" --epochs "$epochs" --train-limit "$train_limit" --threads "$threads")
  for pattern in $patterns; do
    case $pattern in
      dense)
        launch "$m-dense-ft" "${from[@]}" --pattern dense ;;
      unstructured | filter)
        for p in $sparsities; do
          launch "$m-$pattern-$p-none" "${from[@]}" --pattern "$pattern" --sparsity "$p" --rearrange none
        done ;;
      *)
        for p in $sparsities; do
          for r in $rearranges; do
            launch "$m-$pattern-$p-$r" "${from[@]}" --pattern "$pattern" --sparsity "$p" --rearrange "$r"
          done
        done ;;
    esac
  done
done
wait
elapsed=$(($(date +%s) - start))
echo "$elapsed" >>"$dir/wall-seconds.txt"
total=$(awk '{ s += $1 } END { print s }' "$dir/wall-seconds.txt")
invocations=$(wc -l <"$dir/wall-seconds.txt")
echo "$(date +%T) study done: $((elapsed / 60)) min this time, $((total / 60)) min over $invocations invocation(s)" >&2

budget="DENSE_EPOCHS=$dense_epochs DENSE_TRAIN_LIMIT=$dense_train_limit DENSE_THREADS=$dense_threads"
budget+=" EPOCHS=$epochs TRAIN_LIMIT=$train_limit TEST_LIMIT=$test_limit THREADS=$threads JOBS=$max_jobs"
[[ -n ${TRAIN_ARGS:-} ]] && budget+=" TRAIN_ARGS='$TRAIN_ARGS'"
/usr/bin/python3 scripts/results-accuracy.py "$dir" \
  --out "$out_md" --plot "$out_png" \
  --command "$budget scripts/study-accuracy.sh $dir" \
  --note "Wall time of the whole study: $((total / 3600)) h $((total / 60 % 60)) min over $invocations completed invocation(s) of the script (interrupted ones are not counted), $max_jobs fine-tune run(s) at a time."
if [[ -s $dir/failed.txt ]]; then
  echo "failed runs ($(wc -l <"$dir/failed.txt")): $(tr '\n' ' ' <"$dir/failed.txt")" >&2
  exit 1
fi
