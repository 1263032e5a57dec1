#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS]: fuzzes the model loader (fuzz/model_loader_fuzzer.cpp) for SECONDS
# (default 600) of wall time. Builds it with clang, libFuzzer, ASan and UBSan in build/fuzz, runs
# it on a copy of fuzz/corpus/model_loader/, then merges the new inputs that add coverage back
# into that corpus (-merge=1), keeping it under ~2 MB. On a crash, out-of-memory or timeout it
# prints the reproducer's path and exits non-zero.
#
# Environment: FUZZ_JOBS (parallel fuzzing processes, default 1), FUZZ_ARGS (more libFuzzer flags),
# ONEXN_FUZZ_LOADER_ONLY=1 (parse + import only, no Session: while a runtime bug is open).
# Reproduce a finding:  build/fuzz/bin/model_loader_fuzzer REPRODUCER
# Minimize it:          build/fuzz/bin/model_loader_fuzzer -minimize_crash=1 -runs=20000 REPRODUCER
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-600}
jobs=${FUZZ_JOBS:-1}
build=$root/build/fuzz
corpus=$root/fuzz/corpus/model_loader
cap_kb=2048

for tool in clang clang++; do
  command -v "$tool" > /dev/null || { echo "fuzz.sh: $tool not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
done
if ! grep -qs '^ONEXN_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DONEXN_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONEXN_BUILD_TESTS=OFF > /dev/null
fi
cmake --build "$build" --target model_loader_fuzzer
fuzzer=$build/bin/model_loader_fuzzer

run=$build/run
rm -rf "$run"
mkdir -p "$run/corpus" "$run/artifacts"
cp "$corpus"/* "$run/corpus/"
flags=(-max_len=65536 -rss_limit_mb=2048 -timeout=10 -dict="$root/fuzz/onnx.dict"
       -artifact_prefix="$run/artifacts/" ${FUZZ_ARGS:-})

echo "fuzz.sh: fuzzing for ${seconds}s with $jobs job(s); log in $run/fuzz-*.log"
status=0
if [ "$jobs" -gt 1 ]; then
  # -fork runs the jobs in child processes that share the corpus. It stops at the first crash
  # but goes on after out-of-memory and timeouts (libFuzzer's defaults); all are reported below.
  "$fuzzer" "${flags[@]}" -fork="$jobs" -ignore_crashes=0 -max_total_time="$seconds" \
    -print_final_stats=1 "$run/corpus" > "$run/fuzz-0.log" 2>&1 || status=$?
else
  "$fuzzer" "${flags[@]}" -max_total_time="$seconds" -print_final_stats=1 "$run/corpus" \
    > "$run/fuzz-0.log" 2>&1 || status=$?
fi
# The last status line: "#2318412: cov: 6527 ft: 6476 corp: 457 exec/s 1141 ..." (-fork) or
# "#1234 DONE cov: ... exec/s: 350 ..." (one process), then the run's totals.
grep -E '^#[0-9]+' "$run/fuzz-0.log" | tail -n 1 || true
grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$run/fuzz-0.log" || true

# Inputs of the run that reach code the corpus does not yet reach; only small ones (< 20 KB),
# or mutations of the largest seeds would fill the corpus.
before=$(ls "$corpus" | wc -l)
mkdir -p "$run/small"
find "$run/corpus" -type f -size -20k -exec cp {} "$run/small/" \;
"$fuzzer" "${flags[@]}" -merge=1 "$corpus" "$run/small" > "$run/merge.log" 2>&1 ||
  echo "fuzz.sh: merging failed, see $run/merge.log" >&2
corpus_kb() { echo $(( $(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}') / 1024 )); }
size_kb=$(corpus_kb)
if [ "$size_kb" -gt "$cap_kb" ]; then
  # Over the cap: keep the seeds and the bug reproducers, and of the rest only a minimal set that
  # still covers everything.
  echo "fuzz.sh: corpus is ${size_kb} KB, over ${cap_kb} KB: minimizing"
  min=$build/corpus-min
  rm -rf "$min"
  mkdir -p "$min"
  cp "$corpus"/seed-* "$corpus"/bug-* "$min/" 2> /dev/null || true
  if "$fuzzer" "${flags[@]}" -merge=1 "$min" "$corpus" > "$run/minimize.log" 2>&1; then
    rm -f "$corpus"/*
    cp "$min"/* "$corpus/"
  else
    echo "fuzz.sh: minimizing failed, see $run/minimize.log" >&2
  fi
  # Still over: drop the largest of the fuzzer's own inputs (named by their SHA-1).
  while [ "$(corpus_kb)" -gt "$cap_kb" ]; do
    largest=$(find "$corpus" -type f -regextype egrep -regex '.*/[0-9a-f]{40}' -printf '%s %p\n' |
      sort -n | tail -n 1 | cut -d' ' -f2-)
    [ -n "$largest" ] || break
    rm -f "$largest"
  done
fi
echo "fuzz.sh: corpus $before -> $(ls "$corpus" | wc -l) files, $(corpus_kb) KB"

found=0
reproducers=$(find "$run/artifacts" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' \
  -o -name 'leak-*' -o -name 'slow-unit-*' \) | sort)
if [ "$status" -ne 0 ] || [ -n "$(echo "$reproducers" | grep -v slow-unit || true)" ]; then
  grep -v NEW_FUNC "$run"/fuzz-*.log | grep -E -A12 \
    '^==[0-9]+==.*ERROR|runtime error|uncaught exception|deadly signal|out-of-memory|timeout' \
    | head -60 >&2 || true
  echo "fuzz.sh: the fuzzer found a bug (exit status $status). Reproducer(s):" >&2
  echo "${reproducers:-  (none written; see $run/fuzz-0.log)}" >&2
  echo "Run one: $fuzzer REPRODUCER" >&2
  found=1
fi

[ "$found" -eq 0 ] || exit 1
echo "fuzz.sh: no crash in ${seconds}s"
