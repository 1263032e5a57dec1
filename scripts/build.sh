#!/usr/bin/env bash
# Installs the missing Debian packages and ONNX Runtime from npm (the model tests' second oracle and
# the benchmarks' baseline; both steps do nothing when all is present), then configures and builds
# one CMake preset (default: release). Prints the build directory on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-release}
scripts/install-deps.sh >&2
scripts/install-ort.sh >&2
cmake --preset "$preset" >&2
cmake --build --preset "$preset" -j "$(nproc)" >&2
echo "build/$preset"
