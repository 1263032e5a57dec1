#!/usr/bin/python3
"""Per-layer comparison of onexn with ONNX Runtime on one model: where the time goes in each.

  scripts/compare-layers-ort.py MODEL.onnx [--threads T] [--runs R] [--dense | --sparse]
                                [--onexn PATH] [--json OUT.json]

Runs ONNX Runtime with its per-node profile (tools/ort/ort-run.mjs --profile) and `onexn bench
MODEL --json` on the same fixed-seed random input (one .npy per graph input, dynamic dims as 1),
and prints one row per fused group of ONNX nodes: ORT's median µs, onexn's median µs and their
ratio, then totals by layer kind (first conv, 3x3, 1x1, depthwise, other KxK convs, pooling, fc,
elementwise/other, reorders) and the whole-model latencies.

onexn's column is its dense run (`--dense`, the default: every conv on a dense kernel, the path
issue 13 compares with ORT) or, with --sparse, its own kernel choice (for pruned models).

Matching. Both runtimes fuse nodes and each names a fused node its own way: onexn a layer after
its Conv (BatchNorm, the activation and a residual Add folded into it), ORT after its last node's
output tensor (an NCHWc Conv+Clip is "<Clip output>_nchwc"), or after the node itself when it is
not fused. A node a runtime reports is matched there; a node it does not report was fused into a
neighbour: a Conv/Gemm/MatMul into the single consumer of its output (the runtime named the group
after its last node), any other op into the latest of its producers (in graph order) whose output
only it reads (for an Add, the conv that ran last, as onexn's fusion takes it). Each row is the
union of the groups of both runtimes, so it lists every ONNX node of the row (e.g.
Conv+Clip, Conv+Add+Relu). ORT nodes with no ONNX node (ReorderInput / ReorderOutput around the
NCHWc convs) are rows of kind "reorders". The kind of a row is that of its first Conv or Gemm.

Medians: ORT's over its R timed runs (the profile's warm-up runs are dropped); onexn's per-layer
times are `onexn bench`'s medians over its profiled runs (max(5, R/4) of them; bench takes R >= 20).
Profiling adds a little per node in both. The whole-model latencies at the end: ORT's median of
the profiled runs, onexn's unprofiled median from the same `onexn bench`.
Exit codes: 0 success, 1 failure (missing tool, bad model, a runtime failing), 2 usage.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPUTE_OPS = {"Conv", "Gemm", "MatMul", "ConvTranspose"}
POOL_OPS = {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"}
KIND_ORDER = ["first conv", "3x3", "1x1", "depthwise", "other KxK", "pooling", "fc",
              "elementwise/other", "reorders"]


def fail(msg, code=1):
    print(f"compare-layers-ort: {msg}", file=sys.stderr)
    sys.exit(code)


class Graph:
    """The ONNX graph's nodes in order, who produces and who reads each tensor."""

    def __init__(self, model):
        g = model.graph
        self.nodes = list(g.node)
        self.names = [n.name or f"{n.op_type}_{i}" for i, n in enumerate(self.nodes)]
        self.index = {name: i for i, name in enumerate(self.names)}
        self.inits = {t.name: t for t in g.initializer}
        self.graph_inputs = [i for i in g.input if i.name not in self.inits]
        self.producer = {}
        self.consumers = {}
        for i, n in enumerate(self.nodes):
            for o in n.output:
                self.producer[o] = i
            for x in n.input:
                if x:
                    self.consumers.setdefault(x, []).append(i)

    def fused_into(self, i):
        """The node a runtime that does not report node i fused it into (None: no neighbour)."""
        n = self.nodes[i]
        if n.op_type in COMPUTE_OPS:
            readers = self.consumers.get(n.output[0], []) if n.output else []
            if len(readers) == 1 and self.nodes[readers[0]].op_type not in COMPUTE_OPS:
                return readers[0]
            return None
        producers = [self.producer[x] for x in n.input
                     if x in self.producer and self.consumers.get(x) == [i]
                     and self.nodes[self.producer[x]].op_type != "Constant"]
        return max(producers) if producers else None

    def kind(self, i):
        n = self.nodes[i]
        if n.op_type in POOL_OPS:
            return "pooling"
        if n.op_type in ("Gemm", "MatMul"):
            return "fc"
        if n.op_type not in ("Conv", "ConvTranspose"):
            return "elementwise/other"
        if any(x in (gi.name for gi in self.graph_inputs) for x in n.input[:1]):
            return "first conv"
        w = self.inits.get(n.input[1]) if len(n.input) > 1 else None
        group = next((a.i for a in n.attribute if a.name == "group"), 1)
        if w is not None and group > 1 and w.dims[1] == 1:
            return "depthwise"
        k = list(w.dims[2:]) if w is not None else []
        if k and all(d == 1 for d in k):
            return "1x1"
        if k == [3, 3]:
            return "3x3"
        return "other KxK"


class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, a):
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def make_inputs(graph, out_dir):
    """One fixed-seed random .npy per float graph input; returns [(name, path)]."""
    rng = np.random.default_rng(0)
    files = []
    for gi in graph.graph_inputs:
        t = gi.type.tensor_type
        if t.elem_type != onnx.TensorProto.FLOAT:
            fail(f"input '{gi.name}' is not float32: give a model with float inputs")
        shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else 1 for d in t.shape.dim]
        path = os.path.join(out_dir, f"input{len(files)}.npy")
        np.save(path, rng.standard_normal(shape).astype(np.float32))
        files.append((gi.name, path))
    return files


def run(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"{what} failed (exit {p.returncode}): {p.stderr.strip().splitlines()[-1:] or ''}")
    return p.stdout


def ort_profile(model, inputs, threads, runs, work):
    prefix = os.path.join(work, "ort")
    cmd = ["node", os.path.join(ROOT, "tools/ort/ort-run.mjs"), model]
    cmd += [f"{name}={path}" for name, path in inputs]
    cmd += ["--threads", str(threads), "--runs", str(runs), "--profile", prefix]
    summary = json.loads(run(cmd, "ONNX Runtime (tools/ort/ort-run.mjs)").strip().splitlines()[-1])
    files = glob.glob(prefix + "_*.json")
    if not files:
        fail("ONNX Runtime wrote no profile")
    events = json.load(open(files[0]))
    per_node = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per_node.setdefault(e["name"][: -len("_kernel_time")], []).append(e["dur"])
    # The profile holds the warm-up runs too: keep each node's last `runs` times.
    medians = {k: statistics.median(v[-runs:]) for k, v in per_node.items()}
    return medians, summary["median_ms"]


def onexn_bench(onexn, model, inputs, threads, runs, dense):
    cmd = [onexn, "bench", model, "--threads", str(threads), "--runs", str(max(20, runs)), "--json",
           "--tuning-cache", "off"]
    for name, path in inputs:
        cmd += ["--input", f"{name}={path}"]
    lines = [json.loads(l) for l in run(cmd, "onexn bench").splitlines() if l.startswith("{")]
    key = "dense_ms" if dense else "sparse_ms"
    layers = {l["layer"]: l for l in lines if "layer" in l}
    summary = next(l for l in lines if "model" in l)
    return {k: v[key] * 1000.0 for k, v in layers.items()}, layers, summary[key]


def ort_node_of(graph, key):
    """The ONNX node an ORT profile name stands for, or None (a node ORT added)."""
    if key in graph.index:
        return graph.index[key]
    for suffix in ("_nchwc", ""):
        if key.endswith(suffix) and key[: len(key) - len(suffix)] in graph.producer:
            return graph.producer[key[: len(key) - len(suffix)]]
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--dense", action="store_true", help="onexn's dense run (the default)")
    mode.add_argument("--sparse", action="store_true", help="onexn's own kernel choice instead")
    ap.add_argument("--onexn", default=os.path.join(ROOT, "build/release/bin/onexn"))
    ap.add_argument("--json", help="also write the rows and totals to this file")
    args = ap.parse_args()
    if args.threads < 1 or args.runs < 1:
        fail("--threads and --runs need integers >= 1", 2)
    if not os.path.isfile(args.model):
        fail(f"'{args.model}': no such file")
    if not os.access(args.onexn, os.X_OK):
        fail(f"'{args.onexn}': no onexn binary (build it, or give --onexn PATH)")
    dense = not args.sparse
    try:
        model = onnx.load(args.model)
    except Exception as e:  # noqa: BLE001 - any parse error is a bad file
        fail(f"'{args.model}': not an ONNX model ({e})")
    graph = Graph(model)

    with tempfile.TemporaryDirectory(prefix="compare-layers-") as work:
        inputs = make_inputs(graph, work)
        ort_us, ort_ms = ort_profile(args.model, inputs, args.threads, args.runs, work)
        onexn_us, onexn_layers, onexn_ms = onexn_bench(args.onexn, args.model, inputs, args.threads,
                                                       args.runs, dense)

    n = len(graph.nodes)
    uf = UnionFind(n)
    ort_at = {}    # ONNX node -> ORT µs
    ort_only = []  # (ORT name, µs)
    for key, us in ort_us.items():
        i = ort_node_of(graph, key)
        if i is None:
            ort_only.append((key, us))
        else:
            ort_at[i] = ort_at.get(i, 0.0) + us
    onexn_at = {}
    unknown = []
    for key, us in onexn_us.items():
        if key in graph.index:
            onexn_at[graph.index[key]] = us
        else:
            unknown.append((key, us))
    for reported in (ort_at, onexn_at):
        for i in range(n):
            if i not in reported:
                j = graph.fused_into(i)
                if j is not None:
                    uf.union(i, j)

    groups = {}
    for i in range(n):
        groups.setdefault(uf.find(i), []).append(i)
    rows = []
    for members in sorted(groups.values()):
        o = sum(ort_at.get(i, 0.0) for i in members)
        x = sum(onexn_at.get(i, 0.0) for i in members)
        if not any(i in ort_at or i in onexn_at for i in members):
            continue  # folded away by both (constants, shape arithmetic)
        anchor = next((i for i in members if graph.nodes[i].op_type in COMPUTE_OPS), members[0])
        ops = "+".join(graph.nodes[i].op_type for i in members if graph.nodes[i].op_type != "Constant")
        rows.append({"name": graph.names[anchor], "ops": ops,
                     "kind": graph.kind(anchor), "ort_us": o, "onexn_us": x,
                     "kernel": onexn_layers.get(graph.names[anchor], {}).get(
                         "dense_kernel" if dense else "kernel", "")})
    for key, us in ort_only:
        kind = "reorders" if "Reorder" in key else "elementwise/other"
        rows.append({"name": f"(ORT) {key}", "ops": key.split("_")[0], "kind": kind, "ort_us": us,
                     "onexn_us": 0.0, "kernel": ""})
    for key, us in unknown:
        rows.append({"name": f"(onexn) {key}", "ops": "", "kind": "elementwise/other", "ort_us": 0.0,
                     "onexn_us": us, "kernel": ""})

    col = "onexn dense" if dense else "onexn"
    ratio = lambda x, o: f"{x / o:.2f}" if o > 0 else "-"  # noqa: E731
    print(f"model {args.model}, {args.threads} thread(s), {args.runs} runs; ratio = {col} / ORT\n")
    print(f"| node (fused group) | ops | kind | ORT µs | {col} µs | ratio | onexn kernel |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['ops']} | {r['kind']} | {r['ort_us']:.0f} | {r['onexn_us']:.0f} | "
              f"{ratio(r['onexn_us'], r['ort_us'])} | {r['kernel']} |")
    totals = {}
    for r in rows:
        t = totals.setdefault(r["kind"], {"rows": 0, "ort_us": 0.0, "onexn_us": 0.0})
        t["rows"] += 1
        t["ort_us"] += r["ort_us"]
        t["onexn_us"] += r["onexn_us"]
    ort_sum = sum(t["ort_us"] for t in totals.values())
    onexn_sum = sum(t["onexn_us"] for t in totals.values())
    gap = onexn_sum - ort_sum
    print(f"\n| kind | rows | ORT µs | {col} µs | ratio | {col} - ORT µs | share of the gap |")
    print("|---|---|---|---|---|---|---|")
    for kind in KIND_ORDER:
        if kind in totals:
            t = totals[kind]
            d = t["onexn_us"] - t["ort_us"]
            share = f"{100 * d / gap:.0f}%" if gap > 0 else "-"
            print(f"| {kind} | {t['rows']} | {t['ort_us']:.0f} | {t['onexn_us']:.0f} | "
                  f"{ratio(t['onexn_us'], t['ort_us'])} | {d:+.0f} | {share} |")
    print(f"| **sum of layers** | {len(rows)} | {ort_sum:.0f} | {onexn_sum:.0f} | {ratio(onexn_sum, ort_sum)} | "
          f"{gap:+.0f} | |")
    print(f"\nwhole model, median latency: ORT {ort_ms:.2f} ms (its profiled runs), {col} {onexn_ms:.2f} ms "
          f"(unprofiled), ratio {ratio(onexn_ms, ort_ms)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"model": args.model, "threads": args.threads, "runs": args.runs, "dense": dense,
                       "rows": rows, "totals": totals, "ort_ms": ort_ms, "onexn_ms": onexn_ms}, f, indent=1)


if __name__ == "__main__":
    main()
