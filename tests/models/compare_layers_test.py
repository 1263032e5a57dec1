#!/usr/bin/python3
"""scripts/compare-layers-ort.py on a small residual net, judged by the ONNX graph it was given.

  tests/models/compare_layers_test.py ONEXN

The net: Conv+Relu (the first conv), a 3x3 Conv + residual Add + Relu, a 1x1 Conv, a MaxPool,
GlobalAveragePool, Flatten, Gemm. Both runtimes fuse parts of it; every ONNX node (but the
Constants) must land in exactly one row, the fused groups must be the ones both runtimes run as
one (Conv+Relu, Conv+Add+Relu), each kind its row, and the totals add up. Bad input gives exit 1
or 2 with a one-line message. Prints one line per check, exits 1 on a failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/compare-layers-ort.py")
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def make_model(path):
    rng = np.random.default_rng(0)
    w = lambda name, *shape: numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32) * 0.1, name)  # noqa: E731
    inits = [w("w1", 16, 3, 3, 3), w("b1", 16), w("w2", 16, 16, 3, 3), w("b2", 16), w("w3", 32, 16, 1, 1),
             w("wf", 10, 32), w("bf", 10)]
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "w2", "b2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["c2", "r1"], ["a2"], name="add2"),
        helper.make_node("Relu", ["a2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "w3"], ["c3"], name="conv3"),
        helper.make_node("MaxPool", ["c3"], ["p3"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("GlobalAveragePool", ["p3"], ["g"], name="gap"),
        helper.make_node("Flatten", ["g"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "wf", "bf"], ["y"], name="fc", transB=1),
    ]
    graph = helper.make_graph(nodes, "compare_check",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def main(onexn):
    tmp = tempfile.mkdtemp(prefix="onexn-compare-layers-")
    try:
        check_script(onexn, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_script(onexn, tmp):
    model = os.path.join(tmp, "net.onnx")
    make_model(model)
    out = os.path.join(tmp, "rows.json")
    r = subprocess.run([SCRIPT, model, "--runs", "3", "--onexn", onexn, "--json", out],
                       capture_output=True, text=True)
    check(r.returncode == 0, f"runs ({r.stderr.strip()[-300:]})")
    if r.returncode != 0:
        return
    res = json.load(open(out))
    rows = res["rows"]
    onnx_rows = [row for row in rows if not row["name"].startswith("(")]
    members = [op for row in onnx_rows for op in row["ops"].split("+")]
    check(sorted(members) == sorted(["Conv", "Relu", "Conv", "Add", "Relu", "Conv", "MaxPool",
                                     "GlobalAveragePool", "Flatten", "Gemm"]),
          f"every ONNX node in exactly one row ({members})")
    by_name = {row["name"]: row for row in onnx_rows}
    check(by_name.get("conv1", {}).get("ops") == "Conv+Relu" and by_name["conv1"]["kind"] == "first conv",
          f"conv1 and its Relu are one row, the first conv ({by_name.get('conv1')})")
    check(by_name.get("conv2", {}).get("ops") == "Conv+Add+Relu" and by_name["conv2"]["kind"] == "3x3",
          f"conv2, the residual Add and the Relu are one row, a 3x3 ({by_name.get('conv2')})")
    check(by_name.get("conv3", {}).get("kind") == "1x1", "conv3 is a 1x1")
    check(by_name.get("pool", {}).get("kind") == "pooling" and by_name.get("gap", {}).get("kind") == "pooling",
          "MaxPool and GlobalAveragePool are pooling")
    check(by_name.get("fc", {}).get("kind") == "fc", "the Gemm is the fc")
    timed = [row for row in onnx_rows if row["ops"] != "Flatten"]
    check(all(row["ort_us"] > 0 and row["onexn_us"] > 0 for row in timed),
          "both runtimes timed every compute row")
    total_ort = sum(t["ort_us"] for t in res["totals"].values())
    check(abs(total_ort - sum(row["ort_us"] for row in rows)) < 1e-6, "the totals add the rows up")
    check("| **sum of layers** |" in r.stdout and "| first conv | 1 |" in r.stdout, "prints the tables")

    def fails(code, needle, *args, what):
        r = subprocess.run([SCRIPT, *args], capture_output=True, text=True)
        check(r.returncode == code and needle in r.stderr, f"{what}: exit {r.returncode}, {r.stderr.strip()[:160]}")

    fails(1, "no such file", os.path.join(tmp, "missing.onnx"), "--onexn", onexn, what="a missing model")
    garbage = os.path.join(tmp, "garbage.onnx")
    with open(garbage, "wb") as f:
        f.write(b"\x08\x07not a model")
    fails(1, "garbage.onnx", garbage, "--onexn", onexn, what="a file that is no model")
    fails(2, "--threads", model, "--threads", "0", "--onexn", onexn, what="--threads 0")
    fails(2, "not allowed with", model, "--dense", "--sparse", what="--dense with --sparse")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: compare_layers_test.py ONEXN", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
    sys.exit(1 if failures else 0)
