# Cross build for 32-bit ARM (ARMv7-A + NEON, hard float: Cortex-A7 class; Debian armhf) with
# Debian's GCC 12 cross compiler (crossbuild-essential-armhf) and the armhf multiarch libraries
# (libfmt-dev, libgtest-dev, libprotobuf-dev, libpng-dev, zlib1g-dev :armhf in
# /usr/lib/arm-linux-gnueabihf; libgomp comes with the cross compiler; ONNX unpacked by
# scripts/cross-sysroot.sh; no oneDNN: Debian has none for armhf). Highway is NOT Debian's libhwy-dev:armhf but a NEON build of Debian's source
# package of the same version (scripts/build-hwy-armhf.sh, see below), which scripts/test-arm.sh
# passes in through CMAKE_PREFIX_PATH:
#
#   scripts/build-hwy-armhf.sh build/cross-deps/hwy-armhf     # prints the install prefix
#   cmake -S . -B build/cross-armhf -G Ninja -DCMAKE_BUILD_TYPE=Release \
#         -DONEXN_WITH_TRAINING=OFF -DONEXN_WITH_XNNPACK=OFF -DONEXN_WITH_ONEDNN=OFF \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake \
#         "-DCMAKE_PREFIX_PATH=$PWD/build/cross-deps/hwy-armhf/install;$PWD/build/cross-deps/sysroot-armhf/usr"
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(ONEXN_CROSS_TRIPLET arm-linux-gnueabihf)

set(CMAKE_C_COMPILER ${ONEXN_CROSS_TRIPLET}-gcc-12)
set(CMAKE_CXX_COMPILER ${ONEXN_CROSS_TRIPLET}-g++-12)
set(CMAKE_LIBRARY_ARCHITECTURE ${ONEXN_CROSS_TRIPLET})

# NEON at compile time, so the binaries REQUIRE NEON + VFPv4 (Cortex-A7, A15, A17, A53/A72 in
# 32-bit mode; not Cortex-A8/A9, which have no VFPv4). Why: Highway 1.0.3 does not detect NEON at
# run time on ARMv7 (its hwy/targets.cc tests the kernel's HWCAP_NEON / HWCAP_VFPv4 macros but
# includes only <sys/auxv.h>, where glibc names them HWCAP_ARM_*, so the check compiles to
# nothing). Debian's libhwy:armhf therefore reports SCALAR only on every CPU, and dynamic dispatch
# would never pick NEON code compiled through Highway's target pragma. With NEON in the baseline,
# NEON is Highway's static target and the only one compiled, and HWY_DYNAMIC_DISPATCH falls back to
# the static target, so the kernels run NEON whichever libhwy they get. The tests also need
# hwy::SupportedTargets() to list NEON (they loop over hwy::SupportedAndGeneratedTargets()): hence
# the NEON build of libhwy with working detection, scripts/build-hwy-armhf.sh.
#   -march=armv7-a -mfpu=neon-vfpv4  NEON + VFPv4 (fused multiply-add)
#   -mfloat-abi=hard                 the armhf calling convention (Debian's libraries)
#   -mfp16-format=ieee               with VFPv4, __ARM_FP announces half precision, so hwy/base.h
#                                    uses the __fp16 type, which GCC defines only with this flag
# These are also the flags of Highway's own HWY_CMAKE_ARM7 option.
set(ONEXN_ARMV7_FLAGS "-march=armv7-a -mfpu=neon-vfpv4 -mfloat-abi=hard -mfp16-format=ieee")
set(CMAKE_C_FLAGS_INIT "${ONEXN_ARMV7_FLAGS}")
set(CMAKE_CXX_FLAGS_INIT "${ONEXN_ARMV7_FLAGS}")

# ctest, gtest_discover_tests and try_run run target binaries through qemu-user; see
# aarch64-linux-gnu.cmake. -cpu cortex-a7: the oldest core these flags target, so an instruction
# it lacks fails the tests.
set(CMAKE_CROSSCOMPILING_EMULATOR
    /usr/bin/qemu-arm-static -cpu cortex-a7 -L /usr/${ONEXN_CROSS_TRIPLET}
    -E LD_LIBRARY_PATH=/usr/${ONEXN_CROSS_TRIPLET}/lib:/usr/lib/${ONEXN_CROSS_TRIPLET}${ONEXN_CROSS_EXTRA_LIBS})
# ONEXN_CROSS_EXTRA_LIBS (":DIR..."): library folders of unpacked packages (scripts/cross-sysroot.sh).
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ONEXN_CROSS_EXTRA_LIBS)
