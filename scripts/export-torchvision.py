#!/usr/bin/python3
"""Export torchvision CNNs to ONNX with fixed-seed random weights (no downloads).

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision). Weights are drawn with a
fixed seed, and every BatchNorm gets non-trivial running statistics and affine parameters, so the
exported model computes something a test can tell apart from a broken one.

  scripts/export-torchvision.py --out-dir models resnet18 mobilenet_v2
  scripts/export-torchvision.py --out-dir models --keep-bn resnet50   # BatchNorm kept: resnet50_bn.onnx
  scripts/export-torchvision.py --out-dir models --dynamic-batch resnet50  # input [batch, 3, 224, 224]

The input "input" is [1, 3, SIZE, SIZE] and the output "logits" [1, 1000], unless --dynamic-batch
makes dimension 0 of both a symbolic "batch" (scripts/bench-models.sh times such files at batch 1
and 8, in onexn with --batch B and in ONNX Runtime with an input of batch B). The fixed batch stays
the default: the runtime tests check the shapes a fixed-batch file gives.

Prints one line per model: its path and size. With --reference it also saves a random input and
the PyTorch module's output for it as ONNX TensorProto files <model>.input.pb and <model>.output.pb.
"""
import argparse
import os
import sys

import torch
import torchvision
from onnx import numpy_helper

MODELS = {
    "resnet18": torchvision.models.resnet18,
    "resnet50": torchvision.models.resnet50,
    "mobilenet_v2": torchvision.models.mobilenet_v2,
    "mobilenet_v3_small": torchvision.models.mobilenet_v3_small,
}


def randomize_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.1)


def export(name, out_dir, seed, opset, keep_bn, size, reference, dynamic_batch=False):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = MODELS[name](weights=None)
    with torch.no_grad():
        randomize_batchnorm(model, gen)
    model.eval()
    x = torch.randn(1, 3, size, size, generator=gen)
    stem = name + ("_bn" if keep_bn else "")
    path = os.path.join(out_dir, f"{stem}.onnx")
    tmp = path + ".tmp"
    kwargs = {}
    if keep_bn:
        # In TrainingMode.EVAL (the default) torch.onnx fuses BatchNorm into Conv; PRESERVE keeps
        # the module's mode (eval here) and so exports BatchNormalization nodes.
        kwargs["training"] = torch.onnx.TrainingMode.PRESERVE
    if dynamic_batch:
        kwargs["dynamic_axes"] = {"input": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"],
                      output_names=["logits"], **kwargs)
    os.replace(tmp, path)
    if reference:
        with torch.no_grad():
            y = model(x)
        for suffix, t, tname in (("input", x, "input"), ("output", y, "logits")):
            with open(os.path.join(out_dir, f"{stem}.{suffix}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(t.numpy(), name=tname).SerializeToString())
    print(f"{path} {os.path.getsize(path)} bytes")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", choices=sorted(MODELS))
    parser.add_argument("--out-dir", default="models")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--opset", type=int, default=13)
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--keep-bn", action="store_true", help="keep BatchNormalization nodes")
    parser.add_argument("--reference", action="store_true", help="also save input/output .npy")
    parser.add_argument("--dynamic-batch", action="store_true",
                        help="make dimension 0 of the input and the output a symbolic 'batch'")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.models:
        export(name, args.out_dir, args.seed, args.opset, args.keep_bn, args.size, args.reference,
               args.dynamic_batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
