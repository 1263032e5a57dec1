# CPack: one Debian package per install component (onexn_install.cmake), for the architecture
# built (amd64, arm64 or armhf: the toolchain's). Debian dependencies come from dpkg-shlibdeps on
# the installed binaries; scripts/package-deb.sh builds them and checks them with dpkg-deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME onexn)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "onexn")
set(CPACK_PACKAGE_CONTACT "onexn developers <onexn@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "1xN block-sparse pruning and inference for CNNs on CPUs")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# onexn-train links the libraries of the onexn package: dpkg-shlibdeps finds them in the build
# (the dependency on onexn itself is stated below).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${CMAKE_BINARY_DIR}/lib)
# Cross builds link ONNX (and oneDNN) unpacked by scripts/cross-sysroot.sh, which dpkg does not
# know: dpkg-shlibdeps finds them there but cannot name their packages, so those are stated.
if(ONEXN_CROSS_EXTRA_LIBS)
  string(REPLACE ":" ";" cross_dirs "${ONEXN_CROSS_EXTRA_LIBS}")
  list(FILTER cross_dirs EXCLUDE REGEX "^$")
  list(APPEND CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${cross_dirs})
endif()
set(runtime_depends "libonnx1 (>= 1.12.0)")
if(ONEXN_WITH_ONEDNN)
  string(APPEND runtime_depends ", libdnnl2 (>= 2.6)")
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION science)

if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE arm64)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^arm")
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE armhf)
endif()

set(CPACK_COMPONENTS_ALL runtime dev)
if(ONEXN_WITH_TRAINING)
  list(APPEND CPACK_COMPONENTS_ALL train)
endif()

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME onexn)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS "${runtime_depends}")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
  "1xN block-sparse CNN inference and pruning: the onexn command and its libraries\n"
  " onexn prunes ONNX CNNs in blocks of N output channels and runs them with\n"
  " block-sparse kernels (onexn inspect, prune, run, bench, bench-layers, eval).")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME onexn-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "onexn (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_DEV_DESCRIPTION
  "onexn development files: headers, CMake package, pkg-config files\n"
  " find_package(onexn) gives onexn::runtime and onexn::prune.")
set(CPACK_DEBIAN_TRAIN_PACKAGE_NAME onexn-train)
set(CPACK_DEBIAN_TRAIN_PACKAGE_DEPENDS "onexn (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_TRAIN_DESCRIPTION
  "onexn training with LibTorch: onexn train and onexn::train\n"
  " The onexn-train executable behind onexn train, and its library.")

include(CPack)
