#!/usr/bin/env bash
# Unpacks the Debian packages of the ARM runtime's dependencies that cannot be installed beside
# the amd64 ones (their -dev packages share a file whose content differs per architecture:
# libonnxifi's /usr/lib/libonnxifi.so, oneDNN's dnnl_config.h) into a folder: `apt-get download`
# + `dpkg -x`, nothing installed. The cross builds take it as CMAKE_PREFIX_PATH and qemu's
# LD_LIBRARY_PATH. Does nothing when the folder already holds these versions.
#
#   scripts/cross-sysroot.sh ARCH DIR     (ARCH: arm64 or armhf)     prints DIR/usr on its last line
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 arm64|armhf DIR" >&2; exit 2; }
arch=$1
dir=$2
case $arch in
  arm64) packages=(libonnx-dev libonnx1 libonnxifi libdnnl-dev libdnnl2) ;;   # oneDNN: arm64 only in Debian
  armhf) packages=(libonnx-dev libonnx1 libonnxifi) ;;
  *) echo "cross-sysroot: unknown architecture '$arch' (arm64 or armhf)" >&2; exit 2 ;;
esac
wanted=""
for p in "${packages[@]}"; do
  version=$(apt-cache policy "$p:$arch" | sed -n 's/^ *Candidate: //p')
  [ -n "$version" ] && [ "$version" != "(none)" ] || { echo "cross-sysroot: apt knows no $p:$arch (run scripts/install-deps.sh, which adds the architecture)" >&2; exit 1; }
  wanted+="$p:$arch=$version "
done
if [ -f "$dir/.packages" ] && [ "$(cat "$dir/.packages")" = "$wanted" ]; then
  echo "$(cd "$dir" && pwd)/usr"
  exit 0
fi
rm -rf "$dir"
mkdir -p "$dir/debs"
dir=$(cd "$dir" && pwd)
# apt's sandbox user must be able to write the download folder.
chmod 777 "$dir/debs"
(cd "$dir/debs" && apt-get download ${wanted} >&2)
for deb in "$dir"/debs/*.deb; do dpkg -x "$deb" "$dir"; done
rm -rf "$dir/debs"
echo "$wanted" > "$dir/.packages"
echo "$dir/usr"
