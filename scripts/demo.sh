#!/usr/bin/env bash
# The main job on its built-in default: build onexn, export torchvision ResNet-50 (fixed-seed random
# weights, no download), show its layers, prune it with the 1x16 pattern at 70% sparsity, show the
# pruned model's layers, run it (top-5 of a fixed-seed random input) and benchmark it against the
# same runtime forced dense, layer by layer. Everything lands in build/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)
onexn="$build/bin/onexn"
out=build/demo
mkdir -p "$out"
[ -f "$out/resnet50.onnx" ] || /usr/bin/python3 scripts/export-torchvision.py --out-dir "$out" resnet50
echo
echo "== onexn inspect $out/resnet50.onnx"
"$onexn" inspect "$out/resnet50.onnx"
echo
pruned=$out/resnet50-1x16-p0.7.onnx
echo "== onexn prune $out/resnet50.onnx -o $pruned --pattern 1x16 --sparsity 0.7"
"$onexn" prune "$out/resnet50.onnx" -o "$pruned" --pattern 1x16 --sparsity 0.7
/usr/bin/python3 scripts/onnx-check.py "$pruned"
echo
echo "== onexn run $pruned"
"$onexn" run "$pruned"
echo
echo "== onexn bench $pruned --threads $(nproc)"
"$onexn" bench "$pruned" --threads "$(nproc)"
