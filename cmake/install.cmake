# Install rules: the four libraries with their public headers and a CMake package
# (find_package(zerotask) gives zerotask::common, ::broker, ::node and ::client),
# and the executables. In the build tree the executables keep their short names
# (build/bin/broker, build/bin/node); installed, the daemons get a product prefix:
#   bin/zerotask-broker  bin/zerotask-node  bin/zt  bin/zt-bench
include(CMakePackageConfigHelpers)

set(ZEROTASK_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/zerotask)

install(TARGETS zerotask_common zerotask_broker zerotask_node zerotask_client
  EXPORT zerotaskTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Every library's public headers live under <folder>/include/zerotask/.
foreach(folder common broker node client)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/include/
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()

# Renamed on install, so copied as files: install(TARGETS) has no RENAME. With
# shared libraries, the build-tree run path of the daemons already points at ../lib
# so that the copies find the installed libraries too, and the installed libraries
# find each other beside themselves.
if(BUILD_SHARED_LIBS)
  set_target_properties(zerotask_common zerotask_broker zerotask_node zerotask_client
    PROPERTIES INSTALL_RPATH "$ORIGIN")
  foreach(daemon broker node)
    set_property(TARGET ${daemon} APPEND PROPERTY BUILD_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  endforeach()
  set_target_properties(zt zt-bench PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
endif()
install(PROGRAMS $<TARGET_FILE:broker> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME zerotask-broker)
install(PROGRAMS $<TARGET_FILE:node> DESTINATION ${CMAKE_INSTALL_BINDIR} RENAME zerotask-node)
install(TARGETS zt zt-bench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT zerotaskTargets
  NAMESPACE zerotask::
  DESTINATION ${ZEROTASK_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/zerotaskConfig.cmake.in
  ${PROJECT_BINARY_DIR}/zerotaskConfig.cmake
  INSTALL_DESTINATION ${ZEROTASK_INSTALL_CMAKEDIR})
# Before 1.0 a minor version may change the API: only the same minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/zerotaskConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/zerotaskConfig.cmake ${PROJECT_BINARY_DIR}/zerotaskConfigVersion.cmake
  DESTINATION ${ZEROTASK_INSTALL_CMAKEDIR})
