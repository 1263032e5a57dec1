#!/usr/bin/python3
"""Turn scripts/bench-models.sh's measurements into docs/results/models.md and a PNG bar chart.

  scripts/results-models.py RESULTS_DIR OUT.md OUT.png

RESULTS_DIR holds results.jsonl (`onexn bench --json` summaries and scripts/bench-pytorch.py
lines) and MODEL.tTHREADS.layers.jsonl (onexn bench's per-layer lines).
"""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

# pruned model file -> (dense torchvision model, pattern, sparsity, target speedup vs --dense)
MODELS = {
    "resnet50-1x16-p0.7": ("resnet50", "1x16", 0.7, 2.0),
    "mobilenet_v2-1x4-p0.5": ("mobilenet_v2", "1x4", 0.5, 1.25),
    "resnet18-1x16-p0.7": ("resnet18", "1x16", 0.7, None),
}


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


def main(results_dir, out_md, out_png):
    # Every (model, threads) was measured once per repeat. onexn: the repeat with the median speedup
    # over the dense path is reported whole (its times and its per-layer table); PyTorch: the
    # median time.
    onexn_runs, torch_runs = defaultdict(list), defaultdict(list)
    with open(os.path.join(results_dir, "results.jsonl")) as f:
        for line in f:
            j = json.loads(line)
            if "pytorch_ms" in j:
                torch_runs[(j["model"], j["threads"])].append(j)
            else:
                name = os.path.basename(j["model"]).replace(".onnx", "")
                onexn_runs[(name, j["threads"])].append(j)
    onexn = {k: sorted(v, key=lambda j: j["dense_ms"] / j["sparse_ms"])[(len(v) - 1) // 2]
             for k, v in onexn_runs.items()}
    torch = {k: sorted(v, key=lambda j: j["pytorch_ms"])[(len(v) - 1) // 2] for k, v in torch_runs.items()}
    repeats = max(len(v) for v in onexn_runs.values())
    threads = sorted({t for _, t in onexn})
    lines = ["# Whole-model benchmarks: onexn vs its own dense path and PyTorch", "",
             f"- **CPU**: {cpu_name()}, {os.cpu_count()} cores visible",
             f"- **commit**: {git_commit()}",
             "- **command**: `scripts/bench-models.sh` (exports the torchvision models with fixed-seed random "
             "weights, prunes them with `onexn prune`, runs `onexn bench MODEL --threads T --runs 30 --json` "
             "and `scripts/bench-pytorch.py MODEL T --runs 30` for T = 1, 2)",
             "- **what is timed**: batch 1, 224x224, median of 30 runs after warm-up. `onexn` is the runtime "
             "with its kernel choice; `dense` is the same runtime loaded with `--dense` (every conv on a dense "
             "kernel), timed in the same run; PyTorch is Debian's python3-torch in eager mode on the dense "
             "model, same thread count.",
             f"- **repeats**: the whole set ran {repeats} time(s) (`REPEATS`); each onexn row is the run with "
             "the median speedup over the dense path, shown whole (its times, its per-layer table); PyTorch: "
             "the median time. Every run's speedup: " + "; ".join(
                 f"{name} T{t}: " + ", ".join(f"{j['dense_ms'] / j['sparse_ms']:.2f}x" for j in runs)
                 for (name, t), runs in sorted(onexn_runs.items())) + ".", "",
             f"![latency]({os.path.basename(out_png)})", "",
             "| model | threads | onexn ms | dense ms | speedup vs dense | target | PyTorch ms | speedup vs PyTorch | dense vs PyTorch | activations | weights dense → stored |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    chart = []
    for name, (dense_name, pattern, p, target) in MODELS.items():
        for t in threads:
            o = onexn.get((name, t))
            pt = torch.get((dense_name, t))
            if not o:
                continue
            speed = o["dense_ms"] / o["sparse_ms"]
            tgt = "" if target is None else f"≥ {target} {'met' if speed >= target else '**missed**'}"
            vs_pt = f"{pt['pytorch_ms'] / o['sparse_ms']:.2f}x" if pt else "-"
            if pt and dense_name == "resnet50":
                vs_pt += " (≥ 2.5 met)" if pt["pytorch_ms"] / o["sparse_ms"] >= 2.5 else " (≥ 2.5 **missed**)"
            dense_vs = f"{o['dense_ms'] / pt['pytorch_ms']:.2f}" if pt else "-"
            lines.append(
                f"| {name} | {t} | {o['sparse_ms']:.2f} | {o['dense_ms']:.2f} | {speed:.3f}x | {tgt} | "
                f"{pt['pytorch_ms']:.2f} | {vs_pt} | {dense_vs} | {o['peak_activation_bytes'] / 1e6:.1f} MB | "
                f"{o['weight_bytes_dense'] / 1e6:.1f} → {o['weight_bytes_stored'] / 1e6:.1f} MB |" if pt else
                f"| {name} | {t} | {o['sparse_ms']:.2f} | {o['dense_ms']:.2f} | {speed:.3f}x | {tgt} | - | - | - | "
                f"{o['peak_activation_bytes'] / 1e6:.1f} MB | {o['weight_bytes_dense'] / 1e6:.1f} → "
                f"{o['weight_bytes_stored'] / 1e6:.1f} MB |")
            chart.append((f"{name} T{t}", o["sparse_ms"], o["dense_ms"], pt["pytorch_ms"] if pt else 0))
    lines += ["", "\"dense vs PyTorch\" is the dense path's time over PyTorch's (target: ≤ 1.10).", "",
              "Notes:", "",
              "- PyTorch on one thread is far slower than on two for ResNet-50 (≈ 12x) and MobileNetV2 (≈ 2.3x): "
              "Debian's 1.13 build takes a slow convolution path with `torch.set_num_threads(1)` on this CPU. The "
              "2-thread rows are the fair comparison with PyTorch; the 1-thread rows compare onexn with its own "
              "dense path (oneDNN), which is the stronger baseline there.",
              "- Timings on these 2-vCPU machines drift with load on the host: in a noisy period both the "
              "sparse and the dense time of a 2-thread run can double (MobileNetV2 once measured 11.1 vs "
              "12.7 ms, against 5.5 vs 7.0 ms minutes before). Hence the repeats and the per-run speedups "
              "listed above.",
              ""]
    # Per-layer tables: where the time goes.
    for name in MODELS:
        for t in threads:
            if (name, t) not in onexn:
                continue
            rep = onexn[(name, t)].get("repeat")
            path = os.path.join(results_dir, f"{name}.t{t}.r{rep}.layers.jsonl" if rep else f"{name}.t{t}.layers.jsonl")
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
            lines += [f"<details><summary>{name}, {t} thread{'s' if t > 1 else ''}: time by kernel and every layer</summary>", "",
                      "| kernel | layers | ms | dense ms |", "|---|---|---|---|"]
            for k, (ms, dms, n) in sorted(by_kernel.items(), key=lambda kv: -kv[1][0]):
                lines.append(f"| {k} | {n} | {ms:.2f} | {dms:.2f} |")
            lines += ["", "| layer | op | kind | kernel | N | p | ms | dense ms | share |", "|---|---|---|---|---|---|---|---|---|"]
            for r in layers:
                lines.append(f"| {r['layer']} | {r['op']} | {r['kind']} | {r['kernel']} | {r['n'] or '-'} | "
                             f"{r['sparsity']:.2f} | {r['sparse_ms']:.3f} | {r['dense_ms']:.3f} | {100 * r['share']:.1f}% |")
            lines += ["", "</details>", ""]
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "bars.dat")
        with open(data, "w") as f:
            for label, s, d, pt in chart:
                f.write(f'"{label}" {s} {d} {pt}\n')
        script = "\n".join([
            "set terminal pngcairo size 1200,600 font 'sans,11'", f"set output '{out_png}'",
            "set termoption noenhanced",
            "set title 'Latency, batch 1 (lower is better): onexn vs its dense path vs PyTorch eager'",
            "set style data histograms", "set style histogram clustered gap 1", "set style fill solid 0.8 border -1",
            "set ylabel 'ms'", "set logscale y", "set grid ytics", "set key top right", "set xtics rotate by -20",
            f"plot '{data}' using 2:xtic(1) title 'onexn (1xN where pruned)', '' using 3 title 'onexn --dense', "
            "'' using 4 title 'PyTorch eager (dense)'"])
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    tmp_md = out_md + ".tmp"
    with open(tmp_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp_md, out_md)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
