#!/usr/bin/python3
"""Evaluate an ONNX CNN with PyTorch's own operators: the reference outputs of the runtime tests.

  scripts/onnx-torch-reference.py MODEL.onnx INPUT.pb OUTPUT.pb

Reads the model with the onnx package and runs its nodes one by one with torch.nn.functional
(conv2d, max_pool2d, ...), so pruned models (whose weights no torchvision module holds) get
outputs that PyTorch computes. Covers the ops torchvision's ResNets and MobileNets export to.
Run with Debian's /usr/bin/python3 (python3-torch, python3-onnx).
"""
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv(x, w, b, a):
    pads = a.get("pads", [0, 0, 0, 0])
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise ValueError("auto_pad not supported by the reference")
    if pads[0] != pads[2] or pads[1] != pads[3]:
        x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
        pads = [0, 0, 0, 0]
    return F.conv2d(x, w, b, stride=a.get("strides", [1, 1]), padding=(pads[0], pads[1]),
                    dilation=a.get("dilations", [1, 1]), groups=a.get("group", 1))


def run(model, x):
    g = model.graph
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
    env[g.input[0].name] = x
    for node in g.node:
        a = attrs(node)
        ins = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == "Constant":
            out = torch.from_numpy(numpy_helper.to_array(a["value"]).copy())
        elif op == "Conv":
            out = conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, a)
        elif op == "BatchNormalization":
            out = F.batch_norm(ins[0], ins[3], ins[4], ins[1], ins[2], False, 0.0, a.get("epsilon", 1e-5))
        elif op == "Relu":
            out = F.relu(ins[0])
        elif op == "Clip":
            lo = ins[1].item() if len(ins) > 1 and ins[1] is not None else a.get("min", -float("inf"))
            hi = ins[2].item() if len(ins) > 2 and ins[2] is not None else a.get("max", float("inf"))
            out = torch.clamp(ins[0], lo, hi)
        elif op == "HardSigmoid":
            out = torch.clamp(ins[0] * a.get("alpha", 0.2) + a.get("beta", 0.5), 0, 1)
        elif op == "HardSwish":
            out = F.hardswish(ins[0])
        elif op == "Sigmoid":
            out = torch.sigmoid(ins[0])
        elif op in ("Add", "Mul", "Sub", "Div"):
            out = {"Add": torch.add, "Mul": torch.mul, "Sub": torch.sub, "Div": torch.div}[op](ins[0], ins[1])
        elif op == "MaxPool":
            p = a.get("pads", [0, 0, 0, 0])
            out = F.max_pool2d(ins[0], a["kernel_shape"], a.get("strides", [1, 1]), (p[0], p[1]),
                               ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "GlobalAveragePool":
            out = torch.mean(ins[0], dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            out = torch.flatten(ins[0], a.get("axis", 1))
        elif op == "Gemm":
            A = ins[0].t() if a.get("transA", 0) else ins[0]
            B = ins[1].t() if a.get("transB", 0) else ins[1]
            out = a.get("alpha", 1.0) * (A @ B)
            if len(ins) > 2 and ins[2] is not None:
                out = out + a.get("beta", 1.0) * ins[2]
        elif op in ("Identity", "Dropout"):
            out = ins[0]
        else:
            raise ValueError(f"op {op} is not covered by the reference")
        env[node.output[0]] = out
    return env[g.output[0].name]


def main(model_path, input_path, output_path):
    model = onnx.load(model_path)
    t = onnx.TensorProto()
    with open(input_path, "rb") as f:
        t.ParseFromString(f.read())
    x = torch.from_numpy(numpy_helper.to_array(t).copy())
    with torch.no_grad():
        y = run(model, x).numpy().astype(np.float32)
    out = numpy_helper.from_array(y, name=model.graph.output[0].name)
    with open(output_path, "wb") as f:
        f.write(out.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
