#!/usr/bin/python3
"""Turn scripts/bench-models.sh's measurements into docs/results/models-ISA.md and a PNG bar chart.

  scripts/results-models.py RESULTS_DIR OUT.md OUT.png [--command CMD] [--isa ISA]

RESULTS_DIR holds results.jsonl, one JSON line per measurement, each tagged by bench-models.sh with
"repeat", "bench" (the pruned model's name, e.g. resnet50-1x16-p0.7), "what": `onexn` (the
summary of `onexn bench --json`: sparse_ms, dense_ms, ...), `ort_dense` and `ort_pruned`
(tools/ort/ort-run.mjs --runs: median_ms), `pytorch` (scripts/bench-pytorch.py: pytorch_ms), and
"batch" (lines without one, from before batches were benchmarked, are batch 1); and
BENCH.bBATCH.tTHREADS.rREPEAT.layers.jsonl (onexn bench's per-layer lines; BENCH.tTHREADS.rREPEAT
for batch 1 in older directories).

Writes, per batch, a table of latencies and ratios (and images/s above batch 1), then a table of
thread scaling: each runtime's time on the fewest threads measured / its time on more threads.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
from collections import defaultdict

# pruned model -> (what it is, targets: {ratio name: minimum})
#   vs_ort: ONNX Runtime on the dense model / onexn on the pruned one (issues 12 and 13)
#   vs_dense: onexn --dense / onexn (the speed issue before them)
MODELS = {
    "resnet50-1x16-p0.7": ("torchvision ResNet-50, 224x224", {"vs_ort": 2.5, "vs_dense": 2.0}),
    "resnet18-1x16-p0.7": ("torchvision ResNet-18, 224x224", {"vs_ort": 2.2}),
    "mobilenet_v2-1x4-p0.5": ("torchvision MobileNetV2, 224x224", {"vs_ort": 1.3, "vs_dense": 1.25}),
    "fcn_resnet50-1x16-p0.7": ("torchvision FCN-ResNet50, 320x320", {"vs_ort": 2.0}),
    "deeplabv3_mobilenet_v3_large-1x4-p0.5": ("torchvision DeepLabV3-MobileNetV3-Large, 320x320", {"vs_ort": 1.2}),
}
DENSE_VS_ORT_TARGET = 1.05  # onexn's dense path within 5% of ONNX Runtime's time (issue 13)


def git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def cpu_name():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def median(values):
    return statistics.median(values) if values else None


def target_cell(value, minimum):
    if minimum is None or value is None:
        return ""
    return f"≥ {minimum} {'met' if value >= minimum else '**missed**'}"


def load(results_dir):
    """{(bench, batch, threads): {repeat: {what: json}}}"""
    runs = defaultdict(lambda: defaultdict(dict))
    with open(os.path.join(results_dir, "results.jsonl")) as f:
        for line in f:
            j = json.loads(line)
            runs[(j["bench"], j.get("batch", 1), j["threads"])][j["repeat"]][j["what"]] = j
    return runs


def layers_file(results_dir, name, batch, threads, repeat):
    path = os.path.join(results_dir, f"{name}.b{batch}.t{threads}.r{repeat}.layers.jsonl")
    old = os.path.join(results_dir, f"{name}.t{threads}.r{repeat}.layers.jsonl")
    return old if batch == 1 and not os.path.exists(path) else path


# Times of each runtime, as ratios() names them, and their column titles.
TIMES = (("onexn", "onexn"), ("dense", "onexn --dense"), ("ort", "ORT dense"), ("ort_pruned", "ORT pruned"),
         ("pytorch", "PyTorch"))


def scaling_table(runs, threads):
    """Rows: how each runtime's time falls from the fewest threads measured to each larger count;
    per-repeat ratios (bench-models.sh runs a model's thread counts one after the other), median."""
    base = threads[0]
    scaled = TIMES[:4]  # PyTorch runs on 2 threads only
    lines = ["| model | batch | threads | " + " | ".join(title for _, title in scaled) + " |",
             "|---|---|---|" + "---|" * len(scaled)]
    for name in MODELS:
        for b in sorted({b for n, b, _ in runs if n == name}):
            base_reps = runs.get((name, b, base))
            for t in threads[1:]:
                reps = runs.get((name, b, t))
                if not base_reps or not reps:
                    continue
                cells = []
                for key, _ in scaled:
                    per = []
                    for rep in sorted(set(base_reps) & set(reps)):
                        one, many = ratios(base_reps[rep]).get(key), ratios(reps[rep]).get(key)
                        if one and many:
                            per.append(one / many)
                    cells.append(fmt(median(per), ".2f", "x"))
                lines.append(f"| {name} | {b} | {t} | " + " | ".join(cells) + " |")
    return lines if len(lines) > 2 else []


def ratios(rep):
    """Per-repeat figures of one (bench, threads): times in ms and the ratios between them."""
    o, od, op, pt = rep.get("onexn"), rep.get("ort_dense"), rep.get("ort_pruned"), rep.get("pytorch")
    r = {}
    if o:
        r["onexn"], r["dense"] = o["sparse_ms"], o["dense_ms"]
        r["vs_dense"] = o["dense_ms"] / o["sparse_ms"]
    if od:
        r["ort"] = od["median_ms"]
    if op:
        r["ort_pruned"] = op["median_ms"]
    if pt:
        r["pytorch"] = pt["pytorch_ms"]
    if o and od:
        r["vs_ort"] = od["median_ms"] / o["sparse_ms"]
        r["dense_vs_ort"] = o["dense_ms"] / od["median_ms"]
    if o and op:
        r["vs_ort_pruned"] = op["median_ms"] / o["sparse_ms"]
    if o and pt:
        r["vs_pytorch"] = pt["pytorch_ms"] / o["sparse_ms"]
    return r


def fmt(v, spec=".2f", suffix=""):
    return "-" if v is None else f"{v:{spec}}{suffix}"


def runs_by_batch(runs, what):
    """'batch 1: 20, 30 runs; batch 8: 20 runs' for one runtime's recorded run counts."""
    by = defaultdict(set)
    for (_, b, _), reps in runs.items():
        for r in reps.values():
            if what in r:
                by[b].add(r[what]["runs"])
    return "; ".join(f"batch {b}: {', '.join(map(str, sorted(n)))}" for b, n in sorted(by.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results_dir")
    ap.add_argument("out_md")
    ap.add_argument("out_png")
    ap.add_argument("--command", default="scripts/bench-models.sh")
    ap.add_argument("--isa", default="")
    args = ap.parse_args()
    runs = load(args.results_dir)
    threads = sorted({t for _, _, t in runs})
    batches = sorted({b for _, b, _ in runs})
    repeats = max(len(v) for v in runs.values())
    any_ort = next((r["ort_dense"] for v in runs.values() for r in v.values() if "ort_dense" in r), {})
    batch_models = "; ".join(
        f"batch {b}: " + ", ".join(n for n in MODELS if any(k[0] == n and k[1] == b for k in runs)) for b in batches)

    lines = [f"# Whole-model benchmarks{' (' + args.isa + ')' if args.isa else ''}: onexn against ONNX Runtime",
             "",
             f"- **CPU**: {cpu_name()}, {os.cpu_count()} cores visible; vector ISA {args.isa or 'unknown'}",
             f"- **commit**: {git_commit()}",
             f"- **command**: `{args.command}`",
             f"- **what is timed**: batches {', '.join(map(str, batches))} ({batch_models}), one "
             f"fixed-seed random input per model and batch (the same file for onexn and ONNX Runtime; "
             f"the models are exported with a symbolic batch and run at batch B: `onexn bench --batch B`, "
             f"an input of batch B elsewhere), median of the timed runs after warm-up: onexn "
             f"({runs_by_batch(runs, 'onexn')} runs; `onexn bench MODEL --batch B --input input=FILE "
             f"--threads T --runs R --json`: the pruned model with onexn's kernel choice and the same "
             f"runtime loaded `--dense`, every conv on a dense kernel, in one process), ONNX Runtime "
             f"{any_ort.get('version', '?')} ({runs_by_batch(runs, 'ort_dense')} runs; npm onnxruntime-node, "
             f"`tools/ort/ort-run.mjs MODEL input=FILE --threads T --runs R`: intraOpNumThreads = T, "
             f"interOpNumThreads 1, graphOptimizationLevel 'all') on the dense model and on the pruned "
             f"file, PyTorch eager (Debian's python3-torch, classifiers, 2 threads only: its 1-thread path "
             f"is pathological here). Models and runtimes interleave: every repeat runs, batch by batch, "
             f"each model in every runtime on each thread count before the next model.",
             f"- **repeats**: {repeats}; tables show the median over the repeats of each time and of each "
             f"per-repeat ratio (ratios are taken within a repeat, where the runtimes shared the same "
             f"stretch of time).",
             "",
             f"![latency]({os.path.basename(args.out_png)})",
             "",
             "Ratios: **vs ORT** = ONNX Runtime on the dense model / onexn on the pruned one (> 1: onexn "
             "faster); **vs ORT pruned** = ONNX Runtime on the pruned file / onexn (ONNX Runtime does not "
             "exploit zero weights); **vs dense** = onexn --dense / onexn; **dense / ORT** = onexn --dense "
             f"/ ONNX Runtime dense (target ≤ {DENSE_VS_ORT_TARGET}). The targets hold at every batch and "
             "thread count (issue 13).",
             ""]
    chart, per_repeat, chosen = [], [], {}
    for b in batches:
        table = ["| model | threads | onexn ms | onexn --dense ms | ORT dense ms | ORT pruned ms | PyTorch ms | "
                 "vs ORT | target | vs ORT pruned | vs dense | dense / ORT | vs PyTorch |",
                 "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        throughput = ["| model | threads | " + " | ".join(title for _, title in TIMES) + " |",
                      "|---|---|" + "---|" * len(TIMES)]
        for name, (what, targets) in MODELS.items():
            for t in threads:
                reps = runs.get((name, b, t))
                if not reps:
                    continue
                per = {k: ratios(v) for k, v in sorted(reps.items())}
                m = {key: median([p[key] for p in per.values() if key in p])
                     for key in ("onexn", "dense", "ort", "ort_pruned", "pytorch", "vs_ort", "vs_ort_pruned",
                                 "vs_dense", "dense_vs_ort", "vs_pytorch")}
                tgt = target_cell(m["vs_ort"], targets.get("vs_ort"))
                dense_tgt = "" if m["dense_vs_ort"] is None else (
                    " met" if m["dense_vs_ort"] <= DENSE_VS_ORT_TARGET else " **missed**")
                vs_dense_tgt = targets.get("vs_dense")
                vs_dense = fmt(m["vs_dense"], ".2f", "x") + (f" ({target_cell(m['vs_dense'], vs_dense_tgt)})"
                                                             if vs_dense_tgt else "")
                table.append(
                    f"| {name} | {t} | {fmt(m['onexn'])} | {fmt(m['dense'])} | {fmt(m['ort'])} | "
                    f"{fmt(m['ort_pruned'])} | {fmt(m['pytorch'])} | {fmt(m['vs_ort'], '.2f', 'x')} | {tgt} | "
                    f"{fmt(m['vs_ort_pruned'], '.2f', 'x')} | {vs_dense} | {fmt(m['dense_vs_ort'])}{dense_tgt} | "
                    f"{fmt(m['vs_pytorch'], '.2f', 'x')} |")
                throughput.append(f"| {name} | {t} | " + " | ".join(
                    fmt(None if m[key] is None else 1000 * b / m[key], ".1f") for key, _ in TIMES) + " |")
                per_repeat.append(f"{name} B{b} T{t}: vs ORT " + ", ".join(
                    fmt(p.get("vs_ort"), ".2f", "x") for p in per.values()) + "; dense / ORT " + ", ".join(
                    fmt(p.get("dense_vs_ort")) for p in per.values()))
                chart.append((f"{name} B{b} T{t}", m["onexn"], m["dense"], m["ort"], m["ort_pruned"]))
                # The per-layer table of the repeat whose speedup over ONNX Runtime is the median one.
                order = sorted(per, key=lambda k: per[k].get("vs_ort", per[k].get("vs_dense", 0)))
                chosen[(name, b, t)] = (order[(len(order) - 1) // 2], reps)
        lines += [f"## Batch {b}: latency (ms) and ratios", ""] + table + [""]
        if b > 1:
            lines += [f"Batch {b}, throughput in images/s ({b} / median latency):", ""] + throughput + [""]
    scaling = scaling_table(runs, threads)
    if scaling:
        lines += ["## Thread scaling", "",
                  f"Each runtime's time on {threads[0]} thread{'s' if threads[0] > 1 else ''} / its time on "
                  "the thread count of the row (2.00x on 2 threads would be perfect scaling; medians of the "
                  "per-repeat ratios, a model's thread counts running one after the other in each repeat; "
                  "PyTorch runs on 2 threads only, so it has no column here).", ""] + scaling + [""]
    failures_file = os.path.join(args.results_dir, "failures.txt")
    if os.path.exists(failures_file):
        with open(failures_file) as f:
            failed = [l.strip() for l in f if l.strip()]
        if failed:
            lines += ["**Not measured** (onexn failed; ONNX Runtime was still timed):", ""]
            lines += [f"- {l}" for l in failed] + [""]
    lines += ["Every repeat's ratios (in repeat order): " + "; ".join(per_repeat) + ".", "",
              "Models: " + "; ".join(f"{n}: {w}" for n, (w, _) in MODELS.items()) + ". Weights are "
              "fixed-seed random (no downloads); the pruned files come from `onexn prune --pattern P "
              "--sparsity S` (filters rearranged across the graph first).", "",
              "Timings on these 2-vCPU machines drift with load on the host: in a noisy period a run can "
              "be 2x off, which is why the whole set repeats and the ratios are taken within a repeat.", ""]
    for (name, b, t), (rep, reps) in chosen.items():
        path = layers_file(args.results_dir, name, b, t, rep)
        if not os.path.exists(path):
            continue
        with open(path) as f:
            rows = [json.loads(l) for l in f]
        layers = [r for r in rows if "layer" in r]
        by_kernel = defaultdict(lambda: [0.0, 0.0, 0])
        for r in layers:
            k = r["kernel"].split(" (")[0]
            by_kernel[k][0] += r["sparse_ms"]
            by_kernel[k][1] += r["dense_ms"]
            by_kernel[k][2] += 1
        lines += [f"<details><summary>{name}, batch {b}, {t} thread{'s' if t > 1 else ''} (repeat {rep}): "
                  "time by kernel and every layer</summary>", "",
                  "| kernel | layers | ms | dense ms |", "|---|---|---|---|"]
        for k, (ms, dms, n) in sorted(by_kernel.items(), key=lambda kv: -kv[1][0]):
            lines.append(f"| {k} | {n} | {ms:.2f} | {dms:.2f} |")
        lines += ["", "| layer | op | kind | kernel | N | p | ms | dense ms | share |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for r in layers:
            lines.append(f"| {r['layer']} | {r['op']} | {r['kind']} | {r['kernel']} | {r['n'] or '-'} | "
                         f"{r['sparsity']:.2f} | {r['sparse_ms']:.3f} | {r['dense_ms']:.3f} | "
                         f"{100 * r['share']:.1f}% |")
        o = reps[rep].get("onexn", {})
        if o:
            lines += ["", f"Peak activation memory {o['peak_activation_bytes'] / 1e6:.1f} MB; weights dense "
                      f"{o['weight_bytes_dense'] / 1e6:.1f} MB, as stored {o['weight_bytes_stored'] / 1e6:.1f} MB."]
        lines += ["", "</details>", ""]

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "bars.dat")
        with open(data, "w") as f:
            for row in chart:
                f.write(f'"{row[0]}" ' + " ".join("NaN" if v is None else str(v) for v in row[1:]) + "\n")
        # Only the series with at least one measurement (gnuplot refuses an all-missing one).
        titles = ["onexn (1xN where pruned)", "onexn --dense", "ONNX Runtime (dense model)",
                  "ONNX Runtime (pruned file)"]
        series = [(k + 2, title) for k, title in enumerate(titles) if any(row[k + 1] for row in chart)]
        plots = [f"'{data}' using {col}:xtic(1) title '{title}'" for col, title in series]
        script = "\n".join([
            f"set terminal pngcairo size {max(1400, 70 * len(chart))},650 font 'sans,11'",
            f"set output '{args.out_png}'",
            "set termoption noenhanced",
            "set title 'Latency per batch B and thread count T (lower is better): onexn vs ONNX Runtime" +
            (f" ({args.isa})" if args.isa else "") + "'",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8 border -1",
            "set ylabel 'ms'", "set logscale y", "set grid ytics", "set key top left", "set xtics rotate by -25",
            "plot " + ", ".join(plots)])
        if plots:
            subprocess.run(["gnuplot"], input=script, text=True, check=True)
    tmp_md = args.out_md + ".tmp"
    with open(tmp_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp_md, args.out_md)


if __name__ == "__main__":
    main()
