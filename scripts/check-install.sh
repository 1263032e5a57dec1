#!/usr/bin/env bash
# Installs a build tree into a temporary prefix and builds the examples against it as an
# application would: a CMake project of its own (examples/CMakeLists.txt, copied out of the source
# tree first) with find_package(onexn), and classify.cpp again through pkg-config. Runs them and
# the installed onexn on MODEL; fails if the installed tree or the example build names the source
# or build tree, or if the installed example disagrees with the build tree's.
#
#   scripts/check-install.sh BUILD_DIR MODEL.onnx
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 BUILD_DIR MODEL.onnx" >&2; exit 2; }
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
model=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

step() { echo "=== check-install: $*"; }
die() { echo "check-install: FAIL: $*" >&2; exit 1; }

step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
for f in bin/onexn lib/libonexn-runtime.so lib/libonexn-prune.so include/onexn/session.hpp \
         include/onexn/version.hpp lib/cmake/onexn/onexnConfig.cmake lib/pkgconfig/onexn-runtime.pc; do
  [ -e "$prefix/$f" ] || die "the install has no $f"
done
for internal in conv_params.hpp dnnl_conv.hpp conv_shapes.hpp reference_conv.hpp sparse_conv.hpp; do
  [ ! -e "$prefix/include/onexn/$internal" ] || die "internal header $internal is installed"
done
if grep -rIl -e "$src" -e "$build" "$prefix" > "$work/leaks"; then
  die "installed files name the source or build tree: $(tr '\n' ' ' < "$work/leaks")"
fi
# Installed binaries must not find libraries through the build tree.
if readelf -d "$prefix/bin/onexn" | grep -E 'R(UN)?PATH' | grep -q -e "$build" -e "$src"; then
  die "the installed onexn's RUNPATH names the build tree"
fi

step "examples as a separate CMake project against the install"
cp -r "$src/examples" "$work/examples"
cmake -S "$work/examples" -B "$work/examples-build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" > "$work/examples-configure.log" || { cat "$work/examples-configure.log"; die "configuring examples failed"; }
cmake --build "$work/examples-build" > "$work/examples-build.log" || { cat "$work/examples-build.log"; die "building examples failed"; }
if grep -l -e "$src" -e "$build" "$work/examples-build/CMakeCache.txt" "$work/examples-build/build.ninja" > /dev/null; then
  die "the example build refers to the source or build tree"
fi

step "run the installed example and the build tree's on $model"
"$work/examples-build/classify" "$model" 2 | tail -n +2 > "$work/installed.txt"
"$build/bin/onexn_example_classify" "$model" 2 | tail -n +2 > "$work/build-tree.txt"
diff "$work/build-tree.txt" "$work/installed.txt" || die "the installed example's top-5 differ from the build tree's"
cat "$work/installed.txt"
"$work/examples-build/prune_and_run" "$model" "$work/pruned.onnx" 4 0.5 || die "prune_and_run failed"
"$prefix/bin/onexn" run "$work/pruned.onnx" --threads 2 > "$work/run.txt" || die "the installed onexn cannot run the pruned model"
"$prefix/bin/onexn" --version

if [ -x "$prefix/bin/onexn-train" ]; then
  step "onexn train through the installed onexn"
  "$prefix/bin/onexn" train --help > /dev/null || die "the installed onexn train --help failed"
fi

step "classify.cpp through pkg-config"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
# shellcheck disable=SC2046
g++ -O1 -o "$work/classify-pc" "$src/examples/classify.cpp" $(pkg-config --cflags --libs onexn-runtime) \
  -Wl,-rpath,"$prefix/lib" || die "building with pkg-config failed"
"$work/classify-pc" "$model" 2 | tail -n +2 | diff "$work/build-tree.txt" - || die "the pkg-config build's top-5 differ"
pkg-config --modversion onexn-prune > /dev/null || die "pkg-config has no onexn-prune"
echo "check-install: OK"
