#!/usr/bin/env bash
# Installs the missing Debian packages, builds the release preset with its tests, and runs every
# test with ctest. Extra arguments go to ctest (e.g. -R OnnxModel).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(scripts/build.sh release | tail -n 1)
ctest --test-dir "$build" --output-on-failure -j "$(nproc)" "$@"
