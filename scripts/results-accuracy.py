#!/usr/bin/python3
"""Turn the runs of scripts/study-accuracy.sh into docs/results/accuracy.md and its PNG plot.

  scripts/results-accuracy.py [--out OUT.md] [--plot OUT.png] [--command TEXT] [--note TEXT] STUDY_DIR

Reads STUDY_DIR/*/metrics.json as `onexn train` writes them (the fields may sit at the top level or
under "options" / "test"; missing optional fields are left out of the tables). Writes: the CPU,
commit, command and training budget; per model, the dense references and a table of test accuracy
per pattern and sparsity with the three rearrangement modes and the kept L1 mass; whether the
paper's ordering (unstructured >= 1x2 >= ... >= 1x32 >> filter, gaps widening with p,
rearrangement >= none) holds, with the numbers; and a gnuplot PNG of accuracy vs p per pattern,
one panel per model.
"""
import argparse
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

PATTERN_ORDER = ["unstructured", "1x2", "1x4", "1x8", "1x16", "1x32", "filter"]
BLOCK_PATTERNS = ["1x2", "1x4", "1x8", "1x16", "1x32"]
REARRANGE_MODES = ["none", "paper", "graph"]
# Patterns for which filter rearrangement cannot change the result (a permutation of the filters
# permutes the scores with them), so the study runs them with --rearrange none only.
REARRANGE_INVARIANT = {"unstructured", "filter"}


def lookup(j, *paths, kind=None):
    """The first of the dotted `paths` present in `j` (with a value of type `kind`, when given)."""
    for path in paths:
        v = j
        for key in path.split("."):
            v = v.get(key) if isinstance(v, dict) else None
            if v is None:
                break
        if v is None or isinstance(v, bool):
            continue
        if kind is None or isinstance(v, kind):
            return v
    return None


def number(j, *paths):
    return lookup(j, *paths, kind=(int, float))


def text(j, *paths):
    return lookup(j, *paths, kind=str)


def layer_l1(layers, *keys):
    """Mean over the pruned layers of the first of `keys` each layer has, or None."""
    values = []
    for layer in layers or []:
        if not isinstance(layer, dict) or layer.get("pruned") is False:
            continue
        v = number(layer, *keys)
        if v is not None:
            values.append(v)
    return statistics.mean(values) if values else None


def per_class(j):
    """Per-class accuracy as {class name or index: fraction}, from a list or an object."""
    v = lookup(j, "per_class_accuracy", "test.class_accuracy", "test.per_class_accuracy")
    if isinstance(v, dict):
        return {k: x for k, x in v.items() if isinstance(x, (int, float))}
    if isinstance(v, list):
        out = {}
        for i, x in enumerate(v):
            if isinstance(x, (int, float)):
                out[str(i)] = x
            elif isinstance(x, dict) and number(x, "accuracy") is not None:
                out[str(x.get("name", x.get("class", i)))] = number(x, "accuracy")
        return out
    return {}


def load_run(path):
    with open(path) as f:
        j = json.load(f)
    accuracy = number(j, "test_accuracy", "test.accuracy", "accuracy")
    model = text(j, "model", "options.model")
    pattern = text(j, "pattern", "options.pattern")
    if accuracy is None or model is None or pattern is None:
        raise ValueError(f"{path}: no model, pattern or test accuracy")
    seconds = number(j, "wall_seconds")
    if seconds is None and isinstance(j.get("seconds"), dict):
        # Per phase; a run started --from a dense checkpoint carries that checkpoint's dense time,
        # which the dense run already counts.
        started_from = text(j, "dense_from", "options.from")
        seconds = sum(v for k, v in j["seconds"].items()
                      if isinstance(v, (int, float)) and not (k == "dense" and started_from))
    layers = j.get("layers") if isinstance(j.get("layers"), list) else []
    sparsity = number(j, "sparsity", "options.sparsity")
    return {
        "dir": os.path.basename(os.path.dirname(path)),
        "model": model,
        "pattern": pattern,
        "sparsity": 0.0 if pattern == "dense" else sparsity,
        "rearrange": text(j, "rearrange", "options.rearrange", "rearrangement.mode") or "none",
        "epochs": number(j, "options.epochs", "epochs"),
        "dense_epochs": number(j, "options.dense_epochs", "dense_epochs"),
        "train_limit": number(j, "options.train_limit", "train_limit"),
        "test_images": number(j, "test.images", "test_images"),
        "width": number(j, "options.width", "width"),
        "batch": number(j, "options.batch", "batch"),
        "threads": number(j, "options.threads", "threads"),
        "seed": number(j, "options.seed", "seed"),
        "accuracy": accuracy,
        "per_class": per_class(j),
        "l1_kept": layer_l1(layers, "l1_kept", "l1_kept_rearranged"),
        "l1_kept_plain": layer_l1(layers, "l1_kept_without_rearrangement", "l1_kept_plain"),
        "seconds": seconds,
        "commit": text(j, "commit"),
    }


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores visible"
    except OSError:
        pass
    return platform.processor() or "unknown"


def git_commit():
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
        return out.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def pct(x):
    return "–" if x is None else f"{100 * x:.2f}"


def signed_pp(x):
    return "–" if x is None else f"{round(100 * x, 2) + 0.0:+.2f}"


def plural(n, word):
    return f"{n:g} {word}{'' if n == 1 else 's'}"


def duration(s):
    s = int(round(s))
    return f"{s // 3600} h {s // 60 % 60:02d} min" if s >= 3600 else f"{s // 60} min {s % 60:02d} s"


def pattern_key(p):
    return (PATTERN_ORDER.index(p), "") if p in PATTERN_ORDER else (len(PATTERN_ORDER), p)


def budget_line(runs):
    """The training budget, one value per field when the runs agree, else every value seen; fields
    no run records are left out."""
    def values(field, subset):
        return sorted({r[field] for r in subset if r[field] is not None})

    def show(vs):
        return "/".join(f"{v:g}" for v in vs)

    def phase(label, epochs_field, subset):
        epochs, limits = values(epochs_field, subset), values("train_limit", subset)
        if not epochs:
            return None
        text = f"{label} {show(epochs)} epoch{'' if epochs == [1] else 's'}"
        if limits:
            text += " of " + ("all 60,000" if limits == [0] else show([v or 60000 for v in limits])) + " images"
        return text

    dense = [r for r in runs if r["pattern"] == "dense" and not r["epochs"]]
    tuned = [r for r in runs if not (r["pattern"] == "dense" and not r["epochs"])]
    parts = [phase("dense phase", "dense_epochs", dense or runs), phase("fine-tune", "epochs", tuned)]
    for label, field in (("test images", "test_images"), ("width", "width"), ("batch", "batch"), ("seed", "seed"),
                         ("LibTorch threads", "threads")):
        vs = values(field, runs)
        if vs:
            parts.append(f"{label} {show(vs)}")
    parts = [p for p in parts if p]
    return "; ".join(parts) if parts else "not recorded"


def ordering_findings(model, grid, modes):
    """Sentences on the paper's claims for one model, each with the numbers behind it."""
    out = []
    sparsities = sorted({p for (_, p, _) in grid})
    chain = ["unstructured"] + BLOCK_PATTERNS

    def acc(pattern, p, mode):
        return grid.get((pattern, p, "none" if pattern in REARRANGE_INVARIANT else mode))

    for mode in modes:
        for p in sparsities:
            seq = [(pat, acc(pat, p, mode)) for pat in chain]
            seq = [(pat, a) for pat, a in seq if a is not None]
            if len(seq) < 2:
                continue
            shown = " ≥ ".join(f"{pat} {pct(a)}" for pat, a in seq)
            broken = [f"{a_pat} {pct(a)} < {b_pat} {pct(b)} by {100 * (b - a):.2f}" for (a_pat, a), (b_pat, b) in zip(seq, seq[1:]) if a < b]
            verdict = "holds" if not broken else f"**does not hold** ({'; '.join(broken)})"
            out.append(f"- p = {p:g}, 1×N rearranged `{mode}`: {shown} — {verdict}.")
    for p in sparsities:
        filt = acc("filter", p, "none")
        blocks = [(pat, acc(pat, p, "graph") or acc(pat, p, "none")) for pat in BLOCK_PATTERNS]
        blocks = [(pat, a) for pat, a in blocks if a is not None]
        if filt is None or not blocks:
            continue
        worst_pat, worst = min(blocks, key=lambda b: b[1])
        gap = worst - filt
        verdict = ("holds" if gap >= 0.01 else
                   ("filter is below every 1×N, but by less than 1 point" if gap > 0 else "**does not hold**"))
        out.append(f"- p = {p:g}, 1×N ≫ filter: worst 1×N ({worst_pat}) {pct(worst)} vs filter {pct(filt)}, "
                   f"gap {signed_pp(gap)} points — {verdict}.")
    # Gaps widening with p: unstructured minus 1x32, and minus filter.
    for other in ("1x32", "filter"):
        gaps = [(p, acc("unstructured", p, "graph"), acc(other, p, "graph")) for p in sparsities]
        gaps = [(p, u - o) for p, u, o in gaps if u is not None and o is not None]
        if len(gaps) >= 2:
            widening = all(b[1] >= a[1] for a, b in zip(gaps, gaps[1:]))
            shown = ", ".join(f"{signed_pp(g)} at p = {p:g}" for p, g in gaps)
            out.append(f"- gap unstructured − {other}: {shown} — "
                       f"{'widens with p' if widening else '**does not widen monotonically with p**'}.")
    # Rearrangement against none, over every 1xN cell that has both.
    for mode in ("paper", "graph"):
        diffs = []
        for pat in BLOCK_PATTERNS:
            for p in sparsities:
                a, b = grid.get((pat, p, mode)), grid.get((pat, p, "none"))
                if a is not None and b is not None:
                    diffs.append((a - b, pat, p))
        if not diffs:
            continue
        ge = sum(1 for d, _, _ in diffs if d >= 0)
        worst = min(diffs)
        best = max(diffs)
        out.append(f"- rearrangement `{mode}` ≥ none in {ge} of {len(diffs)} 1×N cells; mean difference "
                   f"{signed_pp(statistics.mean(d for d, _, _ in diffs))} points, from "
                   f"{signed_pp(worst[0])} ({worst[1]}, p = {worst[2]:g}) to {signed_pp(best[0])} "
                   f"({best[1]}, p = {best[2]:g}) — "
                   f"{'holds' if ge == len(diffs) else 'holds in part' if ge else '**does not hold**'}.")
    return out


def model_section(model, runs):
    lines = [f"## {model}", "", f"- **budget**: {budget_line(runs)}"]
    dense_ckpt = [r for r in runs if r["pattern"] == "dense" and not r["epochs"]]
    dense_ft = [r for r in runs if r["pattern"] == "dense" and r["epochs"]]
    for r in dense_ckpt:
        lines.append(f"- **dense** after the dense phase ({plural(r['dense_epochs'] or 0, 'epoch')}; the checkpoint every "
                     f"run below starts from): **{pct(r['accuracy'])}%**")
    for r in dense_ft:
        lines.append(f"- **dense** fine-tuned {plural(r['epochs'], 'more epoch')} without masks (the same budget as the "
                     f"pruned runs): **{pct(r['accuracy'])}%**")
    if not dense_ckpt and not dense_ft:
        lines.append("- no dense run found")
    lines.append("")
    grid = {}
    for r in runs:
        if r["pattern"] != "dense" and r["sparsity"] is not None:
            grid[(r["pattern"], round(r["sparsity"], 6), r["rearrange"])] = r
    if not grid:
        return lines + ["No pruned runs found.", ""], {}
    lines += ["Test accuracy in % (LibTorch, eval mode). Δ: graph − none in points. Kept L1: the mean over the "
              "pruned layers of the share of L1 mass the masks keep, without → with graph rearrangement (at mask "
              "time, before the fine-tune).", "",
              "| pattern | p | none | paper | graph | Δ graph − none | kept L1 none → graph |",
              "|---|---|---|---|---|---|---|"]
    patterns = sorted({k[0] for k in grid}, key=pattern_key)
    sparsities = sorted({k[1] for k in grid})
    for pat in patterns:
        for p in sparsities:
            cells = {m: grid.get((pat, p, m)) for m in REARRANGE_MODES}
            if not any(cells.values()):
                continue
            if pat in REARRANGE_INVARIANT:
                shown = [pct(cells["none"]["accuracy"]) if cells["none"] else "–", "(= none)", "(= none)"]
                delta = "–"
            else:
                shown = [pct(c["accuracy"]) if c else "–" for c in cells.values()]
                delta = (signed_pp(cells["graph"]["accuracy"] - cells["none"]["accuracy"])
                         if cells["graph"] and cells["none"] else "–")
            base = cells["none"] or cells["graph"] or cells["paper"]
            rearranged = cells["graph"] or base
            plain = base["l1_kept_plain"] if base["l1_kept_plain"] is not None else base["l1_kept"]
            kept = "–"
            if plain is not None:
                after = rearranged["l1_kept"] if rearranged["l1_kept"] is not None else plain
                kept = f"{plain:.3f}" if pat in REARRANGE_INVARIANT else f"{plain:.3f} → {after:.3f}"
            lines.append(f"| {pat} | {p:g} | {' | '.join(shown)} | {delta} | {kept} |")
    lines.append("")
    acc_grid = {k: r["accuracy"] for k, r in grid.items()}
    modes = [m for m in ("none", "graph") if any(k[2] == m for k in acc_grid)]
    findings = ordering_findings(model, acc_grid, modes)
    if findings:
        lines += ["The paper's ordering on this model:", ""] + findings + [""]
    return lines, acc_grid


def plot(out_png, models, dense_refs):
    """Accuracy vs p per pattern, one panel per model: 1xN with graph rearrangement, unstructured and
    filter (no rearrangement), the dense reference as a dashed line."""
    with tempfile.TemporaryDirectory() as tmp:
        cmds = ["set terminal pngcairo size {},520 font 'sans,10'".format(560 * max(1, len(models))),
                f"set output '{out_png}'", "set termoption noenhanced",
                f"set multiplot layout 1,{max(1, len(models))} title 'Fashion-MNIST test accuracy after pruning "
                "and fine-tuning (1xN: graph rearrangement)'"]
        for model, grid in models:
            series = []
            for pat in sorted({k[0] for k in grid}, key=pattern_key):
                mode = "none" if pat in REARRANGE_INVARIANT else "graph"
                points = sorted((p, a) for (pt, p, m), a in grid.items() if pt == pat and m == mode)
                if not points:
                    continue
                path = os.path.join(tmp, f"{model}-{pat}.dat")
                with open(path, "w") as f:
                    f.writelines(f"{p} {100 * a}\n" for p, a in points)
                series.append(f"'{path}' using 1:2 with linespoints lw 2 pt 7 title '{pat}'")
            dense = dense_refs.get(model)
            if dense is not None:
                series.append(f"{100 * dense} with lines dt 2 lc rgb 'black' title 'dense'")
            if not series:
                continue
            ps = sorted({k[1] for k in grid})
            cmds += [f"set title '{model}'", "set xlabel 'sparsity p'", "set ylabel 'test accuracy (%)'",
                     "set grid", "set key bottom left", f"set xrange [{ps[0] - 0.05}:{ps[-1] + 0.05}]",
                     "set xtics (" + ", ".join(f"'{p:g}' {p}" for p in ps) + ")",
                     "plot " + ", ".join(series)]
        cmds.append("unset multiplot")
        subprocess.run(["gnuplot"], input="\n".join(cmds) + "\n", text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("study_dir")
    ap.add_argument("--out", default="docs/results/accuracy.md")
    ap.add_argument("--plot", default="docs/results/accuracy.png")
    ap.add_argument("--command", default="scripts/study-accuracy.sh")
    ap.add_argument("--note", action="append", default=[], help="a line for the notes at the end")
    args = ap.parse_args()

    runs, skipped = [], []
    for path in sorted(glob.glob(os.path.join(args.study_dir, "*", "metrics.json"))):
        try:
            runs.append(load_run(path))
        except (OSError, ValueError, json.JSONDecodeError) as e:
            skipped.append(f"{path}: {e}")
    if not runs:
        print(f"results-accuracy.py: no */metrics.json with a test accuracy in {args.study_dir}", file=sys.stderr)
        return 1
    for s in skipped:
        print(f"results-accuracy.py: skipped {s}", file=sys.stderr)

    total = sum(r["seconds"] or 0 for r in runs)
    commits = sorted({r["commit"] for r in runs if r["commit"]})
    lines = ["# Accuracy of 1×N pruning on Fashion-MNIST: the paper's study at small scale", "",
             f"- **CPU**: {cpu_name()}",
             f"- **commit**: {git_commit()}" + (f" (runs trained at {', '.join(commits)})" if commits else ""),
             f"- **command**: `{args.command}`",
             f"- **cost**: {len(runs)} runs, {duration(total)} of wall time summed over the runs"
             + (f" (median {duration(statistics.median(r['seconds'] for r in runs if r['seconds']))} per run)"
                if any(r["seconds"] for r in runs) else ""),
             "- **workflow**: one dense checkpoint per model; every pruned run starts from it, rearranges "
             "(`none`, `paper`: each layer's filters by L1 norm, `graph`: onexn's graph-wide permutation), takes "
             "one-shot masks over the default layer set and fine-tunes with the masks fixed. Unstructured and "
             "filter pruning run with `none` only: permuting filters permutes their scores with them, so the "
             "masks, and the result, are the same.", "",
             f"![accuracy vs p]({os.path.basename(args.plot)})", ""]
    by_model = {}
    for r in runs:
        by_model.setdefault(r["model"], []).append(r)
    plotted, dense_refs = [], {}
    for model in sorted(by_model, key=lambda m: (m != "resnet20", m)):
        section, grid = model_section(model, by_model[model])
        lines += section
        if grid:
            plotted.append((model, grid))
        dense = [r for r in by_model[model] if r["pattern"] == "dense"]
        if dense:
            dense_refs[model] = max(dense, key=lambda r: r["epochs"] or 0)["accuracy"]
    lines += ["## Notes", "",
              "- One seed per cell: differences of a few tenths of a point are within run-to-run noise; read the "
              "verdicts above with that in mind."] + [f"- {n}" for n in args.note] + [""]
    if plotted:
        tmp_png = args.plot + ".tmp.png"
        plot(tmp_png, plotted, dense_refs)
        os.replace(tmp_png, args.plot)
    tmp_md = args.out + ".tmp"
    with open(tmp_md, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(tmp_md, args.out)
    print(f"wrote {args.out}" + (f" and {args.plot}" if plotted else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
