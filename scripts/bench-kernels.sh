#!/usr/bin/env bash
# Runs the layer benchmarks of docs/results/kernels-ISA.md and rewrites that page and its plot
# kernels-ISA-speedup.png, ISA being the vector ISA the kernels run at (scripts/vector-isa.sh:
# avx512, avx2, else the architecture name; ONEXN_MAX_ISA=avx2 on an AVX-512 machine measures and
# writes the AVX2 record, the page saying so): every shape of bench/shapes/resnet50.txt and
# bench/shapes/mobilenetv2_pointwise.txt, N = 4, 8, 16, p = 0.25 ... 0.9, 1 and 2 threads, oneDNN /
# 1xN / CSR / XNNPACK in one run; the whole run five times (REPEATS), figures are medians over
# them. About 8 minutes on 2 cores. Raw JSON Lines go to build/bench/.
#
# Environment (defaults in brackets): SHAPES ["resnet50 mobilenetv2_pointwise"] shape files, by
# name in bench/shapes/ or as paths (a quick check of this script: one small file of one or two
# shapes), PATTERNS [1x4,1x8,1x16], SPARSITIES [0.25,0.5,0.7,0.8,0.9], THREADS [1,2], RUNS [15]
# (at least 10), REPEATS [5], RESULTS_DIR [docs/results] where the page and plot go (quick checks
# must not overwrite the records).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)
isa=$(scripts/vector-isa.sh)
isa_note=""
[ "$isa" = "$(scripts/vector-isa.sh --cpu)" ] \
  || isa_note="ONEXN_MAX_ISA=$ONEXN_MAX_ISA on a CPU with $(scripts/vector-isa.sh --cpu): oneDNN and our kernels capped"
results=${RESULTS_DIR:-docs/results}
mkdir -p build/bench "$results"
shapes_list=${SHAPES:-resnet50 mobilenetv2_pointwise}
runs=${RUNS:-15}
args=(--pattern "${PATTERNS:-1x4,1x8,1x16}" --sparsity "${SPARSITIES:-0.25,0.5,0.7,0.8,0.9}"
      --threads "${THREADS:-1,2}" --runs "$runs" --json)
repeats=${REPEATS:-5}
files=()
for r in $(seq "$repeats"); do
  for shapes in $shapes_list; do
    file=$shapes
    [[ $file == */* || $file == *.txt ]] || file=bench/shapes/$shapes.txt
    [ -f "$file" ] || { echo "bench-kernels: no shape file '$file'" >&2; exit 2; }
    name=$(basename "$file" .txt)
    echo "bench-layers: $name, run $r of $repeats" >&2
    "$build/bin/onexn" bench-layers --shapes "$file" "${args[@]}" > "build/bench/$name.$r.jsonl"
    files+=("build/bench/$name.$r.jsonl")
  done
done
settings=""  # the variables set, in the order of the list
for v in SHAPES PATTERNS SPARSITIES THREADS RUNS; do
  [ -z "${!v:-}" ] || settings+="$v='${!v}' "
done
command="${settings}scripts/bench-kernels.sh"
/usr/bin/python3 scripts/results-kernels.py \
  --command "REPEATS=$repeats $command (onexn bench-layers ${args[*]})" --isa "$isa" --isa-note "$isa_note" --runs "$runs" \
  --out "$results/kernels-$isa.md" --plot "$results/kernels-$isa-speedup.png" \
  "${files[@]}"
echo "wrote $results/kernels-$isa.md and $results/kernels-$isa-speedup.png" >&2
