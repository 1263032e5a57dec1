#!/usr/bin/env bash
# Builds the model set of the runtime tests in OUT_DIR, with PyTorch's outputs as references:
#   torchvision resnet18, resnet50, mobilenet_v2, mobilenet_v3_small (BatchNorm folded at export),
#   resnet18_bn and mobilenet_v3_small_bn (BatchNormalization nodes kept),
#   each also pruned by `onexn prune` (ResNets 1x16 at 0.7, MobileNets 1x4 at 0.5).
# For every MODEL.onnx: MODEL.input.pb and MODEL.output.pb (the PyTorch module's output for the
# unpruned models; scripts/onnx-torch-reference.py, i.e. PyTorch's operators, for the pruned ones).
#
# usage: scripts/make-test-models.sh OUT_DIR ONEXN_BINARY
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
onexn=$2
mkdir -p "$out"
py=/usr/bin/python3
$py "$here/export-torchvision.py" --out-dir "$out" --reference resnet18 resnet50 mobilenet_v2 mobilenet_v3_small >/dev/null
$py "$here/export-torchvision.py" --out-dir "$out" --reference --keep-bn resnet18 mobilenet_v3_small >/dev/null
prune() {  # NAME PATTERN SPARSITY
  "$onexn" prune "$out/$1.onnx" -o "$out/$1-pruned.onnx" --pattern "$2" --sparsity "$3" >/dev/null
  cp "$out/$1.input.pb" "$out/$1-pruned.input.pb"
  $py "$here/onnx-torch-reference.py" "$out/$1-pruned.onnx" "$out/$1-pruned.input.pb" "$out/$1-pruned.output.pb"
}
prune resnet18 1x16 0.7
prune resnet50 1x16 0.7
prune mobilenet_v2 1x4 0.5
prune mobilenet_v3_small 1x4 0.5
prune resnet18_bn 1x8 0.7
prune mobilenet_v3_small_bn 1x4 0.5
echo "test models in $out"
