#!/usr/bin/env bash
# Builds Highway (static libhwy) for armhf with NEON, from Debian's own source package of the
# libhwy-dev version installed here, and installs it under DIR/install (default DIR:
# build/cross-deps/hwy-armhf). Prints that install prefix on its last line; scripts/test-arm.sh
# passes it to the armhf build as CMAKE_PREFIX_PATH. Does nothing when it is already built.
#
# Why not Debian's libhwy-dev:armhf: in Highway 1.0.3, hwy/targets.cc detects NEON on ARMv7 with
# the kernel's HWCAP_NEON / HWCAP_VFPv4 macros but includes only <sys/auxv.h>, where glibc names
# them HWCAP_ARM_NEON / HWCAP_ARM_VFPv4. The check compiles to nothing, so libhwy's
# hwy::SupportedTargets() never reports NEON on ARMv7 (Debian's armhf libhwy.so returns SCALAR |
# EMU128 whatever the CPU; later Highway versions include <asm/hwcap.h> themselves). Dynamic
# dispatch then runs SCALAR code, and the kernel tests' per-target loop over
# hwy::SupportedAndGeneratedTargets() finds no target at all in a NEON-only build. This build
# force-includes <asm/hwcap.h> into Highway's sources (no source change) and uses upstream's
# HWY_CMAKE_ARM7 option (-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -mfp16-format=ieee,
# the flags of cmake/toolchains/arm-linux-gnueabihf.cmake).
#
# The source comes through apt-get source, with a private apt state under DIR/apt built from the
# machine's own apt sources (their `deb` entries as `deb-src`): the system's apt lists are not
# touched and no extra apt-get update of the system happens.
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-build/cross-deps/hwy-armhf}
mkdir -p "$root"
root=$(cd "$root" && pwd)
prefix=$root/install
toolchain=$PWD/cmake/toolchains/arm-linux-gnueabihf.cmake
log() { echo "build-hwy-armhf: $*" >&2; }

version=$(dpkg-query -W -f='${Version}' "libhwy-dev:$(dpkg --print-architecture)" 2>/dev/null || true)
stamp="highway ${version:-any} $(cat "$toolchain" "$0" | sha256sum | cut -c1-16)"
if [ -f "$prefix/onexn-stamp" ] && [ "$(cat "$prefix/onexn-stamp")" = "$stamp" ]; then
  log "up to date: $prefix"
  echo "$prefix"
  exit 0
fi

# --- Source: Debian's highway source package (orig tarball + Debian patches, applied by dpkg-source).
src=$(ls -d "$root"/src/highway-*/ 2>/dev/null | head -n 1 || true)
if [ -z "$src" ] || [ ! -f "$root/src/onexn-version" ] || [ "$(cat "$root/src/onexn-version")" != "${version:-any}" ]; then
  apt_dir=$root/apt
  rm -rf "$apt_dir" "$root/src"
  mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$root/src"
  : > "$apt_dir/sources.list"
  # The machine's apt sources, binary entries turned into source entries.
  if [ -f /etc/apt/sources.list ]; then
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >> "$apt_dir/sources.list"
  fi
  for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case $f in
      *.list) sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" > "$apt_dir/sources.list.d/$(basename "$f")" ;;
      *.sources) sed 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" > "$apt_dir/sources.list.d/$(basename "$f")" ;;
    esac
  done
  apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=$apt_dir/sources.list.d"
            -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
            -o Debug::NoLocking=1 -o APT::Sandbox::User=root -q)
  log "fetching the source index"
  # As in install-deps.sh: one index failing (mirror mid-sync) need not stop us.
  apt-get "${apt_opts[@]}" update >&2 || log "warning: apt-get update reported errors (see above)"
  log "fetching Debian's highway source ${version:-(newest)}"
  if ! (cd "$root/src" && apt-get "${apt_opts[@]}" source "highway${version:+=$version}" >&2); then
    [ -n "$version" ] || exit 1
    log "warning: highway $version is not in the source index; taking the newest one"
    (cd "$root/src" && apt-get "${apt_opts[@]}" source highway >&2)
  fi
  echo "${version:-any}" > "$root/src/onexn-version"
  src=$(ls -d "$root"/src/highway-*/ | head -n 1)
fi

# --- Build and install: the hwy library only, static, for ARMv7 + NEON.
log "building $src"
rm -rf "$root/build" "$prefix"
CXXFLAGS="-include asm/hwcap.h" cmake -S "$src" -B "$root/build" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib \
  -DBUILD_SHARED_LIBS=OFF -DHWY_CMAKE_ARM7=ON \
  -DHWY_ENABLE_CONTRIB=OFF -DHWY_ENABLE_EXAMPLES=OFF -DHWY_ENABLE_TESTS=OFF -DBUILD_TESTING=OFF >&2
cmake --build "$root/build" -j "$(nproc)" >&2
cmake --install "$root/build" >&2
echo "$stamp" > "$prefix/onexn-stamp"
echo "$prefix"
