# Cross build for 64-bit ARM (AArch64, Debian arm64) with Debian's GCC 12 cross compiler
# (crossbuild-essential-arm64) and the arm64 multiarch libraries (libhwy-dev, libfmt-dev,
# libgtest-dev, libprotobuf-dev, libpng-dev, zlib1g-dev :arm64 in /usr/lib/aarch64-linux-gnu;
# libgomp comes with the cross compiler; ONNX and oneDNN unpacked by scripts/cross-sysroot.sh and
# passed in through CMAKE_PREFIX_PATH). scripts/install-deps.sh installs them; scripts/test-arm.sh
# configures with this file (see there for the whole command line):
#
#   cmake -S . -B build/cross-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         -DONEXN_WITH_TRAINING=OFF -DONEXN_WITH_XNNPACK=OFF \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DCMAKE_PREFIX_PATH=$PWD/build/cross-deps/sysroot-arm64/usr
#
# No -march: the Debian arm64 baseline (ARMv8-A, which always has NEON), so NEON is Highway's
# static target and the kernels always run it (SVE is disabled for them in CMakeLists.txt). Note:
# Highway 1.0.3's hwy::SupportedTargets() lists NEON only on CPUs with the AES extension (qemu's
# cortex-a72 model has it; e.g. a Raspberry Pi 4's Cortex-A72 does not); without it dispatch still
# falls back to NEON, but the kernel tests' loop over hwy::SupportedAndGeneratedTargets() finds
# nothing.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(ONEXN_CROSS_TRIPLET aarch64-linux-gnu)

set(CMAKE_C_COMPILER ${ONEXN_CROSS_TRIPLET}-gcc-12)
set(CMAKE_CXX_COMPILER ${ONEXN_CROSS_TRIPLET}-g++-12)
# Debian multiarch: packages' CMake files and libraries live in /usr/lib/<triplet>, which
# find_package / find_library search through this (no sysroot: the headers are in /usr/include).
set(CMAKE_LIBRARY_ARCHITECTURE ${ONEXN_CROSS_TRIPLET})

# ctest, gtest_discover_tests and try_run run target binaries through qemu-user: the target's
# dynamic loader and libc from the cross toolchain (/usr/<triplet>/lib, the ones the cross
# compiler links against) and the multiarch libraries (libhwy, libfmt) after them. The -E
# variable is set for the emulated program only, not for the host. -cpu cortex-a72: a plain
# ARMv8.0-A core with NEON (and the crypto extension), not qemu's default `max`, which has SVE and
# later extensions that no Cortex-A53/A72 board has, so nothing newer slips in unnoticed.
set(CMAKE_CROSSCOMPILING_EMULATOR
    /usr/bin/qemu-aarch64-static -cpu cortex-a72 -L /usr/${ONEXN_CROSS_TRIPLET}
    -E LD_LIBRARY_PATH=/usr/${ONEXN_CROSS_TRIPLET}/lib:/usr/lib/${ONEXN_CROSS_TRIPLET}${ONEXN_CROSS_EXTRA_LIBS})
# ONEXN_CROSS_EXTRA_LIBS (":DIR..."): library folders of unpacked packages (scripts/cross-sysroot.sh).
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ONEXN_CROSS_EXTRA_LIBS)
