#!/usr/bin/env bash
# Prints this machine's vector ISA, the name the per-ISA result files of docs/results/ carry
# (models-ISA.md, kernels-ISA.md): avx512 when /proc/cpuinfo lists any AVX-512 extension, else avx2
# when it lists AVX2, else the machine's architecture (`uname -m`: aarch64, armv7l, ...).
set -euo pipefail
if grep -qo 'avx512[a-z]*' /proc/cpuinfo; then
  echo avx512
elif grep -qw avx2 /proc/cpuinfo; then
  echo avx2
else
  uname -m
fi
