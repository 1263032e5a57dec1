#!/usr/bin/python3
"""Turn `onexn bench-layers --json` output into docs/results/kernels-ISA.md and its PNG plot.

Reads JSON Lines files (rows and summaries), checks the issue's targets against the geometric
means, and writes markdown tables (summary per shape file, then every row) plus a gnuplot PNG of
speedup over oneDNN vs sparsity per N with the ideal 1/(1-p) line.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import tempfile
from collections import defaultdict


def load(path):
    with open(path) as f:
        return [j for j in map(json.loads, f) if "summary" not in j]


def merge_runs(runs):
    """Rows of several runs of the same shape file -> one row per (shape, N, p, threads), each
    time the median over the runs, the ratios recomputed from those medians."""
    by = defaultdict(list)
    for rows in runs:
        for r in rows:
            by[(r["shape"], r["n"], r["sparsity"], r["threads"])].append(r)
    merged = []
    for key in sorted(by, key=lambda k: (k[3], k[2], k[1], [r["shape"] for r in runs[0]].index(k[0]))):
        rs = by[key]
        m = dict(rs[0])
        for field in ("dense_ms", "sparse_ms", "csr_ms"):
            m[field] = statistics.median(r[field] for r in rs)
        xs = [r["xnnpack_ms"] for r in rs if r.get("xnnpack_ms")]
        m["xnnpack_ms"] = statistics.median(xs) if xs else None
        m["speedup_vs_dense"] = m["dense_ms"] / m["sparse_ms"]
        m["fraction_of_ideal"] = m["speedup_vs_dense"] * (1 - m["sparsity"])
        m["speedup_vs_csr"] = m["csr_ms"] / m["sparse_ms"]
        m["dense_gflops"] = statistics.median(r["dense_gflops"] * r["dense_ms"] for r in rs) / m["dense_ms"]
        m["sparse_actual_gflops"] = statistics.median(r["sparse_actual_gflops"] * r["sparse_ms"] for r in rs) / m["sparse_ms"]
        m["runs"] = len(rs)
        merged.append(m)
    return merged


def cpu_name():
    """The model name /proc/cpuinfo gives (the processor's name elsewhere) and the cores visible."""
    try:
        with open("/proc/cpuinfo") as f:
            model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        model = platform.processor() or platform.machine()
    return f"{model}, {os.cpu_count()} cores visible"


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True)
        # Only code counts: the result files themselves are rewritten by this script.
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "src", "include",
                                "bench", "tools", "cmake", "CMakeLists.txt"], capture_output=True, text=True).stdout
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


# The targets, as fraction of ideal (speedup x (1 - p)), for the ResNet-50 geometric means;
# MobileNetV2 pointwise: the same less 0.1.
def target(n, p, mobilenet):
    base = None
    if n in (8, 16):
        base = 0.7 if p in (0.5, 0.7, 0.8) else (0.5 if p == 0.9 else None)
    elif n == 4 and p in (0.5, 0.7, 0.8):
        base = 0.55
    if base is None:
        return None
    return base - 0.1 if mobilenet else base


def summary_table(rows, mobilenet):
    by = defaultdict(list)
    for r in rows:
        by[(r["n"], r["sparsity"], r["threads"])].append(r)
    lines = ["| N | p | threads | speedup vs oneDNN | ideal | fraction of ideal | target | vs CSR | vs XNNPACK (1x1 shapes) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for (n, p, t) in sorted(by):
        rs = by[(n, p, t)]
        speed = geomean([r["speedup_vs_dense"] for r in rs])
        frac = geomean([r["fraction_of_ideal"] for r in rs])
        csr = geomean([r["speedup_vs_csr"] for r in rs])
        xs = [r["xnnpack_ms"] / r["sparse_ms"] for r in rs if r.get("xnnpack_ms")]
        tgt = target(n, p, mobilenet)
        mark = "" if tgt is None else (f"≥ {tgt:.2f} {'met' if frac >= tgt else '**missed**'}")
        if p == 0.25 and n in (8, 16):
            mark = f"break-even {'met' if speed >= 1.0 else '**missed**'}"
        csr_col = f"{csr:.2f}x"
        if n >= 4 and p in (0.5, 0.7, 0.8):
            csr_col += " (≥ 3 met)" if csr >= 3 else " (≥ 3 **missed**)"
        xnn_col = f"{geomean(xs):.2f}x" if xs else "-"
        lines.append(f"| {n} | {p} | {t} | {speed:.2f}x | {1 / (1 - p):.2f}x | {frac:.2f} | {mark} | "
                     f"{csr_col} | {xnn_col} |")
    return "\n".join(lines)


def full_table(rows):
    lines = ["| shape | N | p | T | oneDNN ms | 1xN ms | CSR ms | XNNPACK ms | speedup | fraction | vs CSR | oneDNN GF/s | 1xN GF/s done |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        x = f"{r['xnnpack_ms']:.3f}" if r.get("xnnpack_ms") else "-"
        lines.append(f"| {r['shape']} | {r['n']} | {r['sparsity']} | {r['threads']} | {r['dense_ms']:.3f} | "
                     f"{r['sparse_ms']:.3f} | {r['csr_ms']:.3f} | {x} | {r['speedup_vs_dense']:.2f} | "
                     f"{r['fraction_of_ideal']:.2f} | {r['speedup_vs_csr']:.2f} | {r['dense_gflops']:.0f} | "
                     f"{r['sparse_actual_gflops']:.0f} |")
    return "\n".join(lines)


def plot(datasets, png, isa):
    # One panel per (shape file, threads): geometric-mean speedup vs p for each N, and 1/(1-p).
    with tempfile.TemporaryDirectory() as tmp:
        panels = []
        for name, rows in datasets:
            for t in sorted({r["threads"] for r in rows}):
                series = []
                for n in sorted({r["n"] for r in rows}):
                    path = os.path.join(tmp, f"{name}-{t}-{n}.dat")
                    with open(path, "w") as f:
                        for p in sorted({r["sparsity"] for r in rows}):
                            rs = [r for r in rows if r["threads"] == t and r["n"] == n and r["sparsity"] == p]
                            if rs:
                                f.write(f"{p} {geomean([r['speedup_vs_dense'] for r in rs])}\n")
                    series.append((n, path))
                panels.append((f"{name}, {t} thread{'s' if t > 1 else ''}", series))
        script = [
            "set terminal pngcairo size 1400,1000 font 'sans,11'",
            f"set output '{png}'",
            "set termoption noenhanced",
            f"set multiplot layout {math.ceil(len(panels) / 2)},2 title 'Speedup of the 1xN kernels over "
            f"oneDNN dense (geometric mean over shapes), {isa}'",
            "set xlabel 'sparsity p'", "set ylabel 'speedup over oneDNN dense'", "set grid",
            "set key top left", "set xrange [0.2:0.92]", "set yrange [0:11]",
        ]
        for title, series in panels:
            parts = ["1/(1-x) title 'ideal 1/(1-p)' with lines dashtype 2 lw 2 lc rgb 'black'",
                     "0.7/(1-x) title '0.7 of ideal' with lines dashtype 3 lc rgb 'gray'"]
            parts += [f"'{path}' using 1:2 title '1x{n}' with linespoints lw 2 pt 7" for n, path in series]
            script += [f"set title '{title}'", "plot " + ", ".join(parts)]
        script.append("unset multiplot")
        subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--plot", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--isa", required=True, help="the machine's vector ISA (scripts/vector-isa.sh)")
    ap.add_argument("--isa-note", default="", help="how the ISA was chosen, when not the CPU's best")
    ap.add_argument("--runs", type=int, default=15, help="bench-layers --runs of the files")
    args = ap.parse_args()
    # Files named NAME.K.jsonl are repeated runs of one shape file NAME.
    groups = defaultdict(list)
    for path in args.files:
        groups[os.path.basename(path).split(".")[0]].append(load(path))
    datasets = [(name, merge_runs(runs)) for name, runs in groups.items()]
    repeats = max(len(runs) for runs in groups.values())
    plot(datasets, args.plot, args.isa)
    out = [f"# Kernel benchmarks ({args.isa}): 1xN sparse convolution vs oneDNN dense, CSR and XNNPACK", "",
           f"- **CPU**: {cpu_name()}; vector ISA {args.isa}" + (f" ({args.isa_note})" if args.isa_note else ""), f"- **commit**: {git_commit()}",
           f"- **command**: `{args.command}`",
           f"- **repeats**: the whole benchmark ran {repeats} times; each figure is the median over the runs "
           "of the per-run medians (this 2-vCPU VM shares its host: the same command varies by about 5-10% "
           "from run to run, more with 2 threads)",
           f"- **what is timed**: median of {args.runs} runs after warm-up per implementation, batch 1, bias + ReLU "
           "fused; oneDNN at its best layout with input and weight reorders done ahead of time and not "
           "timed; our 1xN and CSR kernels from NCHW input to NCHW output, input preparation included "
           "(on 2 threads each first times both ways of splitting the work between the threads, pixels or "
           "groups, and keeps the faster, as the runtime does at load; the chosen split is in the JSON's "
           "kernel names); "
           "XNNPACK's sparse NCHW kernel where it applies (1x1 stride 1) on the same 1xN weights. CSR runs "
           "weights pruned unstructured at the same p. Every sparse output is checked against oneDNN's.",
           "- **fraction of ideal** = speedup over oneDNN x (1 - p); targets from issue 3 (ResNet-50; "
           "MobileNetV2 pointwise: 0.1 lower).", "",
           "- **analysis** of the missed targets (what limits them, measured on AVX-512, Zen 4): "
           "[kernels-analysis.md](kernels-analysis.md)", "",
           f"![speedup vs sparsity]({os.path.basename(args.plot)})", ""]
    for name, rows in datasets:
        out += [f"## {name}: geometric means over {len({r['shape'] for r in rows})} shapes", "",
                summary_table(rows, "mobilenet" in name), ""]
    for name, rows in datasets:
        out += [f"<details><summary>{name}: every row</summary>", "", full_table(rows), "", "</details>", ""]
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out))
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
