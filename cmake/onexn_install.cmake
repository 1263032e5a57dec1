# Install rules, the CMake package (find_package(onexn): onexn::runtime, onexn::prune and, where
# training was built, onexn::train), pkg-config files, and CPack's Debian packages.
#
# Components, one Debian package each (scripts/package-deb.sh):
#   runtime  onexn        the onexn CLI, libonexn-runtime, libonexn-prune
#   dev      onexn-dev    public headers, .so links, CMake package, pkg-config files
#   train    onexn-train  the onexn-train executable and libonexn-train with its CMake targets
include(CMakePackageConfigHelpers)

set(ONEXN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/onexn)

install(TARGETS onexn_runtime onexn_prune EXPORT onexnTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS onexn_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/onexn ${CMAKE_BINARY_DIR}/generated/onexn
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
install(EXPORT onexnTargets NAMESPACE onexn:: DESTINATION ${ONEXN_CMAKE_DIR} COMPONENT dev)

if(ONEXN_WITH_TRAINING)
  install(TARGETS onexn_train EXPORT onexnTrainTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT train NAMELINK_COMPONENT train)
  install(TARGETS onexn_train_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT train)
  install(EXPORT onexnTrainTargets NAMESPACE onexn:: DESTINATION ${ONEXN_CMAKE_DIR} COMPONENT train)
endif()

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/package/onexnConfig.cmake.in
  ${CMAKE_BINARY_DIR}/package/onexnConfig.cmake INSTALL_DESTINATION ${ONEXN_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/onexnConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/onexnConfig.cmake ${CMAKE_BINARY_DIR}/package/onexnConfigVersion.cmake
  DESTINATION ${ONEXN_CMAKE_DIR} COMPONENT dev)

# pkg-config: onexn-runtime, onexn-prune (and onexn-train), relocatable: the prefix is found from
# the .pc file's own folder, so a tree installed with --prefix or unpacked from a package works.
file(RELATIVE_PATH ONEXN_PC_TO_PREFIX "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
string(REGEX REPLACE "/$" "" ONEXN_PC_TO_PREFIX "${ONEXN_PC_TO_PREFIX}")
set(ONEXN_PC_LIBDIR ${CMAKE_INSTALL_LIBDIR})
set(ONEXN_PC_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
foreach(pc runtime prune)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/package/onexn-${pc}.pc.in ${CMAKE_BINARY_DIR}/package/onexn-${pc}.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/package/onexn-${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()
if(ONEXN_WITH_TRAINING)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/package/onexn-train.pc.in ${CMAKE_BINARY_DIR}/package/onexn-train.pc @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/package/onexn-train.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT train)
endif()

include(${CMAKE_CURRENT_LIST_DIR}/onexn_cpack.cmake)
