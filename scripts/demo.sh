#!/usr/bin/env bash
# The main job on its built-in default: build onexn, export torchvision ResNet-50 (fixed-seed random
# weights, no download), show its layers, prune it with the 1x4 pattern at 50% sparsity, and show
# the pruned model's layers. Everything lands in build/demo/.
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
echo "== onexn prune $out/resnet50.onnx -o $out/resnet50-1x4-p0.5.onnx --pattern 1x4 --sparsity 0.5"
"$onexn" prune "$out/resnet50.onnx" -o "$out/resnet50-1x4-p0.5.onnx" --pattern 1x4 --sparsity 0.5
/usr/bin/python3 scripts/onnx-check.py "$out/resnet50-1x4-p0.5.onnx"
