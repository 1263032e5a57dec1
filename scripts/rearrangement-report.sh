#!/usr/bin/env bash
# How much of each pruned layer's L1 mass the 1xN mask keeps without rearrangement, with
# `--rearrange paper` and with `--rearrange graph`, for N = 4, 8, 16, 32 and p = 0.5, 0.7, 0.9:
# one markdown table on stdout (the per-layer ordering graph >= paper >= none is counted).
#
# usage: scripts/rearrangement-report.sh MODEL.onnx [ONEXN_BINARY]
set -euo pipefail
model=$1
onexn=${2:-build/release/bin/onexn}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 4 8 16 32; do
  for p in 0.5 0.7 0.9; do
    for mode in paper graph; do
      "$onexn" prune "$model" -o "$tmp/out.onnx" --pattern "1x$n" --sparsity "$p" --rearrange "$mode" \
        --report "$tmp/1x$n-$p-$mode.json" > /dev/null
    done
  done
done
/usr/bin/python3 - "$tmp" "$model" <<'PY'
import json, sys, os
tmp, model = sys.argv[1], sys.argv[2]
print(f"L1 share kept per pruned layer, `{os.path.basename(model)}` (mean over layers; counts of layers breaking graph >= paper >= none)\n")
print("| pattern | p | none | paper | graph | layers | paper < none | graph < paper |")
print("|---|---|---|---|---|---|---|---|")
for n in (4, 8, 16, 32):
    for p in ("0.5", "0.7", "0.9"):
        paper = json.load(open(f"{tmp}/1x{n}-{p}-paper.json"))["layers"]
        graph = json.load(open(f"{tmp}/1x{n}-{p}-graph.json"))["layers"]
        none = [l["l1_kept_without_rearrangement"] for l in paper]
        pa = [l["l1_kept"] for l in paper]
        gr = [l["l1_kept"] for l in graph]
        eps = 1e-9
        bad_p = sum(a < b - eps for a, b in zip(pa, none))
        bad_g = sum(a < b - eps for a, b in zip(gr, pa))
        mean = lambda v: 100 * sum(v) / len(v)
        print(f"| 1x{n} | {p} | {mean(none):.2f}% | {mean(pa):.2f}% | {mean(gr):.2f}% | {len(pa)} | {bad_p} | {bad_g} |")
PY
