#!/usr/bin/env bash
# Builds the Debian packages of a build tree with CPack (onexn, onexn-dev, and onexn-train where
# the build has training) and checks them with dpkg-deb: architecture, the files each must hold
# and must not, dependencies (LibTorch only for onexn-train), and that the unpacked onexn runs.
#
#   scripts/package-deb.sh BUILD_DIR [OUT_DIR]     (default OUT_DIR: BUILD_DIR/packages)
#
# Cross builds (build/cross-aarch64, build/cross-armhf) give arm64 / armhf packages; their
# dependencies come from the multiarch libraries installed for that architecture, and the unpacked
# onexn runs under qemu-user. Prints the packages' paths on its last lines.
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 BUILD_DIR [OUT_DIR]" >&2; exit 2; }
build=$(cd "$1" && pwd)
out=${2:-$build/packages}
[ -f "$build/CPackConfig.cmake" ] || { echo "package-deb: $build has no CPackConfig.cmake (configure it first)" >&2; exit 1; }
arch=$(sed -n 's/^set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
[ -n "$arch" ] || { echo "package-deb: no Debian architecture in $build/CPackConfig.cmake" >&2; exit 1; }
die() { echo "package-deb: FAIL: $*" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"
# dpkg-shlibdeps reads the host architecture from DEB_HOST_ARCH (and then uses its objdump).
DEB_HOST_ARCH=$arch cpack --config "$build/CPackConfig.cmake" -B "$out" > "$out/cpack.log" 2>&1 ||
  { tail -n 30 "$out/cpack.log" >&2; die "cpack failed (log: $out/cpack.log)"; }
rm -rf "$out/_CPack_Packages"

field() { dpkg-deb --field "$1" "$2"; }
contents() { dpkg-deb --contents "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
has() { contents "$1" | grep -qx "$2" || die "$(basename "$1") has no $2"; }
hasnt() { ! contents "$1" | grep -q "$2" || die "$(basename "$1") holds $2"; }

runtime=$out/onexn_${version}_$arch.deb
dev=$out/onexn-dev_${version}_$arch.deb
train=$out/onexn-train_${version}_$arch.deb
for deb in "$runtime" "$dev"; do [ -f "$deb" ] || die "cpack made no $(basename "$deb")"; done
for deb in "$out"/*.deb; do
  [ "$(field "$deb" Architecture)" = "$arch" ] || die "$(basename "$deb") is not for $arch"
  echo "--- $(basename "$deb")"
  dpkg-deb --info "$deb" | grep -E '^ (Package|Version|Architecture|Depends|Installed-Size):'
done

has "$runtime" /usr/bin/onexn
has "$runtime" /usr/lib/libonexn-runtime.so.0
has "$runtime" /usr/lib/libonexn-prune.so.0
hasnt "$runtime" /usr/include/
hasnt "$runtime" onexn-train
field "$runtime" Depends | grep -q libtorch && die "onexn depends on LibTorch: $(field "$runtime" Depends)"
has "$dev" /usr/include/onexn/session.hpp
has "$dev" /usr/lib/libonexn-runtime.so
has "$dev" /usr/lib/cmake/onexn/onexnConfig.cmake
has "$dev" /usr/lib/pkgconfig/onexn-runtime.pc
field "$dev" Depends | grep -q "onexn (= $version)" || die "onexn-dev does not depend on onexn (= $version)"
if [ -f "$train" ]; then
  has "$train" /usr/bin/onexn-train
  has "$train" /usr/lib/libonexn-train.so.0
  field "$train" Depends | grep -q libtorch || die "onexn-train does not depend on LibTorch"
fi

# The unpacked runtime package runs by itself (its RUNPATH is $ORIGIN/../lib).
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$runtime" "$root"
run=()
case $arch in
  # The libraries of packages scripts/cross-sysroot.sh unpacked: ONEXN_CROSS_EXTRA_LIBS (":DIR...").
  arm64) run=(qemu-aarch64-static -cpu cortex-a72 -L /usr/aarch64-linux-gnu
              -E "LD_LIBRARY_PATH=/usr/lib/aarch64-linux-gnu${ONEXN_CROSS_EXTRA_LIBS:-}") ;;
  armhf) run=(qemu-arm-static -cpu cortex-a7 -L /usr/arm-linux-gnueabihf
              -E "LD_LIBRARY_PATH=/usr/lib/arm-linux-gnueabihf${ONEXN_CROSS_EXTRA_LIBS:-}") ;;
esac
got=$(${run[@]+"${run[@]}"} "$root/usr/bin/onexn" --version) || die "the unpacked onexn does not run"
[ "$got" = "onexn $version" ] || die "the unpacked onexn says '$got', not 'onexn $version'"
echo "package-deb: OK ($arch)"
ls "$out"/*.deb
