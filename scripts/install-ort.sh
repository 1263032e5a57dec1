#!/usr/bin/env bash
# Installs ONNX Runtime from npm (onnxruntime-node, pinned by tools/ort/package-lock.json) into
# tools/ort/node_modules: the second oracle of the model tests (tests/models/) and the baseline of
# scripts/bench-models.sh. Idempotent: when the installed tree matches the lockfile it touches
# nothing and needs no network.
#
# `npm ci --ignore-scripts`: the package carries the CPU library for linux x64 and arm64
# (bin/napi-v6/linux/ARCH/libonnxruntime.so.1); its install script would only fetch GPU binaries
# from a host we cannot reach. Node.js 20 and npm come with the machine image (NodeSource's
# nodejs package); Debian's `npm` package would replace that nodejs, so it is not in
# scripts/debian-packages.txt.
set -euo pipefail
dir=$(cd "$(dirname "$0")/../tools/ort" && pwd)
stamp=$dir/node_modules/.onexn-lock.sha256

for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "install-ort: '$tool' not found: Node.js 20 with npm (NodeSource's nodejs package) is expected on this machine" >&2
    exit 1
  }
done

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "install-ort: onnxruntime-node has no CPU library for $(uname -m)" >&2; exit 1 ;;
esac
binding=$dir/node_modules/onnxruntime-node/bin/napi-v6/linux/$arch/onnxruntime_binding.node
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)

if [ -f "$binding" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "install-ort: onnxruntime-node present ($dir/node_modules)"
  exit 0
fi
echo "install-ort: npm ci --ignore-scripts in $dir"
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
[ -f "$binding" ] || { echo "install-ort: npm ci finished but $binding is missing" >&2; exit 1; }
# The check that the library loads, before the stamp says the install is complete.
(cd "$dir" && node -e "import('onnxruntime-node').then(o => console.log('install-ort: onnxruntime-node ' + o.env.versions.node))")
echo "$want" > "$stamp"
