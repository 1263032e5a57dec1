#!/usr/bin/python3
"""tools/ort/ort-run.mjs and its .npy reader / writer (tools/ort/npy.mjs), judged by numpy.

  tests/models/ort_runner_test.py NODE RUNNER

A small ONNX graph with float32, int64, float16 and bool inputs and outputs (one output name with a
'/' in it) runs in ONNX Runtime; numpy computes what it must give. Inputs are written in .npy
format versions 1.0, 2.0 and 3.0; the timing mode prints its JSON; bad inputs give exit code 1 or
2 and a one-line message naming the file or input. Prints one line per check, exits 1 on a failure.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from numpy.lib import format as npy_format
from onnx import TensorProto, helper

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def make_model(path):
    f32 = helper.make_tensor_value_info
    inputs = [f32("x", TensorProto.FLOAT, [2, 3]), f32("idx", TensorProto.INT64, [4]),
              f32("h", TensorProto.FLOAT16, [3])]
    outputs = [f32("y/sum", TensorProto.FLOAT, [2, 3]), f32("idx_plus_one", TensorProto.INT64, [4]),
               f32("positive", TensorProto.BOOL, [2, 3]), f32("h_twice", TensorProto.FLOAT16, [3]),
               f32("scalar", TensorProto.FLOAT, [])]
    nodes = [
        helper.make_node("Add", ["x", "x"], ["y/sum"]),
        helper.make_node("Constant", [], ["one"], value=helper.make_tensor("one", TensorProto.INT64, [], [1])),
        helper.make_node("Add", ["idx", "one"], ["idx_plus_one"]),
        helper.make_node("Constant", [], ["zero"], value=helper.make_tensor("z", TensorProto.FLOAT, [], [0.0])),
        helper.make_node("Greater", ["x", "zero"], ["positive"]),
        helper.make_node("Add", ["h", "h"], ["h_twice"]),
        helper.make_node("ReduceSum", ["x"], ["scalar"], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "runner_check", inputs, outputs)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), path)


def save(path, array, version):
    with open(path, "wb") as f:
        npy_format.write_array(f, array, version=version)


def run(node, runner, *args):
    return subprocess.run([node, runner, *args], capture_output=True, text=True)


def main(node, runner):
    tmp = tempfile.mkdtemp(prefix="onexn-ort-runner-")
    model = os.path.join(tmp, "model.onnx")
    make_model(model)
    x = (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) * 1.25
    idx = np.array([1, -2, 2**40, 7], dtype=np.int64)
    h = np.array([0.5, -1.25, 1000.0], dtype=np.float16)
    for version in ((1, 0), (2, 0), (3, 0)):
        d = os.path.join(tmp, f"v{version[0]}")
        os.makedirs(d)
        save(os.path.join(d, "x.npy"), x, version)
        save(os.path.join(d, "idx.npy"), idx, version)
        save(os.path.join(d, "h.npy"), h, version)
        r = run(node, runner, model, f"x={d}/x.npy", f"idx={d}/idx.npy", f"h={d}/h.npy", "--out", f"{d}/out")
        check(r.returncode == 0, f"runs with .npy version {version[0]}.0 inputs ({r.stderr.strip()})")
        if r.returncode != 0:
            continue
        manifest = json.load(open(f"{d}/out/outputs.json"))
        check([m["name"] for m in manifest] == ["y/sum", "idx_plus_one", "positive", "h_twice", "scalar"],
              "outputs.json lists every output in order")
        files = {m["name"]: os.path.join(d, "out", m["file"]) for m in manifest}
        check(os.path.basename(files["y/sum"]) == "y_sum.npy", "a '/' in an output name becomes '_'")
        expect = {"y/sum": x + x, "idx_plus_one": idx + 1, "positive": x > 0, "h_twice": h + h,
                  "scalar": np.array(x.sum(), dtype=np.float32)}
        for name, want in expect.items():
            got = np.load(files[name])
            same = got.dtype == want.dtype and got.shape == want.shape and np.allclose(got, want, rtol=1e-6)
            check(same, f"v{version[0]} output {name}: {got.dtype}{list(got.shape)} as numpy computes it")
        check(len(r.stdout.strip().split("\n")) == 5, "one summary line per output")

    d = os.path.join(tmp, "v1")
    feeds = [f"x={d}/x.npy", f"idx={d}/idx.npy", f"h={d}/h.npy"]
    r = run(node, runner, model, *feeds, "--runs", "4", "--warmup", "1", "--threads", "2")
    timing = json.loads(r.stdout) if r.returncode == 0 else {}
    check(r.returncode == 0 and timing.get("runs") == 4 and len(timing.get("times_ms", [])) == 4 and
          timing.get("threads") == 2 and timing["min_ms"] <= timing["median_ms"] <= timing["max_ms"],
          f"--runs prints the timing JSON ({r.stdout.strip()[:120]})")

    def fails(code, needle, *args, what):
        r = run(node, runner, *args)
        check(r.returncode == code and needle in r.stderr, f"{what}: exit {r.returncode}, {r.stderr.strip()[:160]}")

    fails(2, "no value for model input(s) h", model, feeds[0], feeds[1], what="a missing input")
    fails(2, "no model input 'nope'", model, *feeds, f"nope={d}/x.npy", what="an unknown input name")
    fails(2, "needs a NAME= prefix", model, f"{d}/x.npy", what="a bare file for a 3-input model")
    fails(2, "unknown option '--bogus'", model, *feeds, "--bogus", what="an unknown option")
    fails(2, "--threads needs an integer >= 1", model, *feeds, "--threads", "0", what="--threads 0")
    fails(1, "no such file", os.path.join(tmp, "missing.onnx"), what="a missing model")
    fails(1, "Unexpected input data type", model, f"x={d}/idx.npy", feeds[1], feeds[2], what="a wrong dtype")
    fortran = os.path.join(tmp, "fortran.npy")
    np.save(fortran, np.asfortranarray(x))
    fails(1, "Fortran-order", model, f"x={fortran}", feeds[1], feeds[2], what="a Fortran-order array")
    big = os.path.join(tmp, "big.npy")
    np.save(big, x.astype(">f4"))
    fails(1, "big-endian", model, f"x={big}", feeds[1], feeds[2], what="a big-endian array")
    truncated = os.path.join(tmp, "truncated.npy")
    with open(f"{d}/x.npy", "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[:-3])
    fails(1, "needs 24", model, f"x={truncated}", feeds[1], feeds[2], what="a truncated array")
    with open(os.path.join(tmp, "text.npy"), "w") as f:
        f.write("not numpy at all")
    fails(1, "not a .npy file", model, f"x={tmp}/text.npy", feeds[1], feeds[2], what="a file that is not .npy")

    print(f"ort runner: {failures} failure(s)")
    if failures:
        print(f"files kept in {tmp}")
        return 1
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
