#!/usr/bin/env bash
# Runs the layer benchmarks of docs/results/kernels.md and rewrites that page and its plot:
# every shape of bench/shapes/resnet50.txt and bench/shapes/mobilenetv2_pointwise.txt, N = 4, 8,
# 16, p = 0.25 ... 0.9, 1 and 2 threads, oneDNN / 1xN / CSR / XNNPACK in one run; the whole run
# five times (REPEATS), figures are medians over them. About 8 minutes on 2 cores. Raw JSON Lines
# go to build/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)
mkdir -p build/bench docs/results
args=(--pattern 1x4,1x8,1x16 --sparsity 0.25,0.5,0.7,0.8,0.9 --threads 1,2 --runs 15 --json)
repeats=${REPEATS:-5}
files=()
for r in $(seq "$repeats"); do
  for shapes in resnet50 mobilenetv2_pointwise; do
    echo "bench-layers: $shapes, run $r of $repeats" >&2
    "$build/bin/onexn" bench-layers --shapes "bench/shapes/$shapes.txt" "${args[@]}" > "build/bench/$shapes.$r.jsonl"
    files+=("build/bench/$shapes.$r.jsonl")
  done
done
/usr/bin/python3 scripts/results-kernels.py \
  --command "REPEATS=$repeats scripts/bench-kernels.sh (onexn bench-layers ${args[*]})" \
  --out docs/results/kernels.md --plot docs/results/kernels-speedup.png \
  "${files[@]}"
echo "wrote docs/results/kernels.md and docs/results/kernels-speedup.png" >&2
