#!/usr/bin/env bash
# The whole-model benchmarks of docs/results/models.md: torchvision ResNet-50 pruned 1x16 at 0.7
# and MobileNetV2 pruned 1x4 at 0.5 (plus ResNet-18 1x16 at 0.7), each run by `onexn bench`
# (onexn's kernel choice against the same runtime forced dense, one run) on 1 and 2 threads, and
# the dense models in PyTorch eager mode (Debian's python3-torch) on the same thread counts.
# The whole set runs REPEATS times (default 3): the 2-vCPU VMs have noisy periods in which one
# run can be 2x off. Rewrites docs/results/models.md and docs/results/models-latency.png. About
# 5 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)
onexn="$build/bin/onexn"
dir=build/bench-models
mkdir -p "$dir" docs/results
/usr/bin/python3 scripts/export-torchvision.py --out-dir "$dir" resnet50 mobilenet_v2 resnet18 >/dev/null
"$onexn" prune "$dir/resnet50.onnx" -o "$dir/resnet50-1x16-p0.7.onnx" --pattern 1x16 --sparsity 0.7 >/dev/null
"$onexn" prune "$dir/resnet18.onnx" -o "$dir/resnet18-1x16-p0.7.onnx" --pattern 1x16 --sparsity 0.7 >/dev/null
"$onexn" prune "$dir/mobilenet_v2.onnx" -o "$dir/mobilenet_v2-1x4-p0.5.onnx" --pattern 1x4 --sparsity 0.5 >/dev/null
: > "$dir/results.jsonl"
repeats=${REPEATS:-3}
for r in $(seq "$repeats"); do
  for threads in 1 2; do
    for m in resnet50-1x16-p0.7 mobilenet_v2-1x4-p0.5 resnet18-1x16-p0.7; do
      echo "onexn bench $m --threads $threads (run $r of $repeats)" >&2
      "$onexn" bench "$dir/$m.onnx" --threads "$threads" --runs 30 --json > "$dir/$m.t$threads.r$r.layers.jsonl"
      tail -n 1 "$dir/$m.t$threads.r$r.layers.jsonl" | sed "s/^{/{\"repeat\":$r,/" >> "$dir/results.jsonl"
    done
    for m in resnet50 mobilenet_v2 resnet18; do
      echo "pytorch $m --threads $threads (run $r of $repeats)" >&2
      /usr/bin/python3 scripts/bench-pytorch.py "$m" "$threads" --runs 30 >> "$dir/results.jsonl"
    done
  done
done
/usr/bin/python3 scripts/results-models.py "$dir" docs/results/models.md docs/results/models-latency.png
echo "wrote docs/results/models.md and docs/results/models-latency.png" >&2
