# Install rules: the library, the staged public headers (include/xgrad/...), the exported target
# xgrad::xgrad with xgradConfig.cmake/xgradConfigVersion.cmake, xgrad.pc, and the CPack setup
# for `cpack -G DEB` (libxgrad-dev_<version>_<arch>.deb).
include(CMakePackageConfigHelpers)

set(XGRAD_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/xgrad)
install(TARGETS xgrad EXPORT xgradTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(XGRAD_HAS_DISTRIBUTED)  # xgrad::distributed, for find_package(xgrad COMPONENTS distributed)
  install(TARGETS xgrad_distributed EXPORT xgradTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
install(DIRECTORY ${XGRAD_STAGED_INCLUDE_DIR}/xgrad DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT xgradTargets NAMESPACE xgrad:: DESTINATION ${XGRAD_CMAKE_DIR})

configure_package_config_file(cmake/xgradConfig.cmake.in ${CMAKE_CURRENT_BINARY_DIR}/xgradConfig.cmake
  INSTALL_DESTINATION ${XGRAD_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/xgradConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/xgradConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/xgradConfigVersion.cmake
  DESTINATION ${XGRAD_CMAKE_DIR})

# pkg-config: the prefix is found relative to the .pc file, so the same file serves any prefix
# (a temporary one, /usr/local, the .deb's /usr).
set(XGRAD_PKGCONFIG_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH XGRAD_PC_TO_PREFIX /prefix/${XGRAD_PKGCONFIG_DIR} /prefix)
string(REGEX REPLACE "/$" "" XGRAD_PC_TO_PREFIX "${XGRAD_PC_TO_PREFIX}")
string(JOIN " " XGRAD_PC_CFLAGS -DXTENSOR_USE_XSIMD ${XGRAD_ARCH_FLAGS})
set(_xgrad_pc_deps "-lopenblas -ltbb -pthread")
if(CMAKE_DL_LIBS)
  string(APPEND _xgrad_pc_deps " -l${CMAKE_DL_LIBS}")
endif()
if(BUILD_SHARED_LIBS)
  set(XGRAD_PC_LIBS "-lxgrad")
  set(XGRAD_PC_LIBS_PRIVATE "${_xgrad_pc_deps}")
else()  # a static library needs its dependencies on every link line
  set(XGRAD_PC_LIBS "-lxgrad ${_xgrad_pc_deps}")
  set(XGRAD_PC_LIBS_PRIVATE "")
endif()
configure_file(cmake/xgrad.pc.in ${CMAKE_CURRENT_BINARY_DIR}/xgrad.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/xgrad.pc DESTINATION ${XGRAD_PKGCONFIG_DIR})

# Debian package (cpack -G DEB): headers, library, CMake and pkg-config files under /usr.
set(CPACK_PACKAGE_NAME libxgrad-dev)
set(CPACK_PACKAGE_VENDOR "xgrad")
set(CPACK_PACKAGE_CONTACT "xgrad maintainers <xgrad@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++17 deep learning: tape-based autograd, PyTorch-shaped nn and optim (development files)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# What the installed headers and link line need: xtensor/xtl/xsimd (public headers, find_dependency)
# OpenBLAS and oneTBB (linked by libxgrad). A shared build also gets libc/libstdc++ from dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas-dev, libxtensor-dev, xtl-dev, libxsimd-dev, libtbb-dev")
if(XGRAD_HAS_DISTRIBUTED)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi-dev")
endif()
if(BUILD_SHARED_LIBS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
endif()
include(CPack)
