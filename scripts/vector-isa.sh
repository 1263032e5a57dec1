#!/usr/bin/env bash
# Prints the vector ISA onexn's kernels run at here, the name the per-ISA result files of
# docs/results/ carry (models-ISA.md, kernels-ISA.md): the CPU's, i.e. avx512 when /proc/cpuinfo
# lists any AVX-512 extension, else avx2 when it lists AVX2, else the machine's architecture
# (`uname -m`: aarch64, armv7l, ...); or, when ONEXN_MAX_ISA caps the kernels below that (avx2,
# sse4, scalar; docs/runtime.md), the cap.
#
#   scripts/vector-isa.sh          the ISA the kernels run at
#   scripts/vector-isa.sh --cpu    the CPU's, whatever ONEXN_MAX_ISA says
set -euo pipefail
if grep -qo 'avx512[a-z]*' /proc/cpuinfo; then
  cpu=avx512
elif grep -qw avx2 /proc/cpuinfo; then
  cpu=avx2
else
  cpu=$(uname -m)
fi
rank() {  # ISA: its place in the order the cap knows, -1 for others (a CPU that is not x86)
  case $1 in scalar) echo 0 ;; sse4) echo 1 ;; avx2) echo 2 ;; avx512) echo 3 ;; *) echo -1 ;; esac
}
cap=${ONEXN_MAX_ISA:-native}
if [ "${1:-}" != --cpu ] && [ "$cap" != native ] && [ "$(rank "$cap")" -ge 0 ] &&
   { [ "$cap" = scalar ] || [ "$(rank "$cap")" -lt "$(rank "$cpu")" ]; }; then
  echo "$cap"
else
  echo "$cpu"
fi
