# The public headers: what a user may include and what `cmake --install` ships.
#
# Rule: every .hpp directly in autograd/, nn/, optim/ (and distributed/ when it is built) plus
# xgrad.hpp and the generated autograd/version.hpp, except headers under */detail/ and any listed
# in XGRAD_INTERNAL_HEADERS.
# They are staged into ${CMAKE_CURRENT_BINARY_DIR}/include/xgrad/ with their repository-relative
# includes ("autograd/tensor.hpp") rewritten to "xgrad/autograd/tensor.hpp", so a user's own
# "nn/..." headers can never shadow ours. Staging fails if a public header includes a non-public
# one: the installed tree then could not compile.
# Internal headers that live outside a detail/ folder (none today: autograd/detail/ holds them all).
# A header listed here is neither staged nor installed, and no public header may include it.
set(XGRAD_INTERNAL_HEADERS "")

file(GLOB _xgrad_header_candidates CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
  ${CMAKE_CURRENT_SOURCE_DIR}/xgrad.hpp
  ${CMAKE_CURRENT_SOURCE_DIR}/autograd/*.hpp
  ${CMAKE_CURRENT_SOURCE_DIR}/nn/*.hpp
  ${CMAKE_CURRENT_SOURCE_DIR}/optim/*.hpp)
if(XGRAD_HAS_DISTRIBUTED)
  file(GLOB _xgrad_distributed_headers CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
    ${CMAKE_CURRENT_SOURCE_DIR}/distributed/*.hpp)
  list(APPEND _xgrad_header_candidates ${_xgrad_distributed_headers})
endif()
set(XGRAD_PUBLIC_HEADERS "")
set(_xgrad_header_lines "")
set(_xgrad_header_sources "")
foreach(header ${_xgrad_header_candidates})
  if(NOT header IN_LIST XGRAD_INTERNAL_HEADERS AND NOT header MATCHES "/detail/")
    list(APPEND XGRAD_PUBLIC_HEADERS ${header})
    list(APPEND _xgrad_header_sources ${CMAKE_CURRENT_SOURCE_DIR}/${header})
    string(APPEND _xgrad_header_lines "${header}|${CMAKE_CURRENT_SOURCE_DIR}/${header}\n")
  endif()
endforeach()
list(APPEND XGRAD_PUBLIC_HEADERS autograd/version.hpp)
set(_xgrad_version_header ${CMAKE_CURRENT_BINARY_DIR}/generated/autograd/version.hpp)
list(APPEND _xgrad_header_sources ${_xgrad_version_header})
string(APPEND _xgrad_header_lines "autograd/version.hpp|${_xgrad_version_header}\n")

set(XGRAD_STAGED_INCLUDE_DIR ${CMAKE_CURRENT_BINARY_DIR}/include)
set(_xgrad_header_list ${CMAKE_CURRENT_BINARY_DIR}/xgrad_public_headers.txt)
file(WRITE ${_xgrad_header_list}.tmp "${_xgrad_header_lines}")
configure_file(${_xgrad_header_list}.tmp ${_xgrad_header_list} COPYONLY)  # touched only on change

set(_xgrad_stage_command ${CMAKE_COMMAND} -DLIST=${_xgrad_header_list} -DOUT=${XGRAD_STAGED_INCLUDE_DIR}/xgrad
  -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/stage_public_headers.cmake)
# Once now, so the staged tree exists before anything compiles; then whenever a header changes.
execute_process(COMMAND ${_xgrad_stage_command} RESULT_VARIABLE _xgrad_stage_result)
if(NOT _xgrad_stage_result EQUAL 0)
  message(FATAL_ERROR "xgrad: staging the public headers failed (see above)")
endif()
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/xgrad_public_headers.stamp
  COMMAND ${_xgrad_stage_command}
  COMMAND ${CMAKE_COMMAND} -E touch ${CMAKE_CURRENT_BINARY_DIR}/xgrad_public_headers.stamp
  DEPENDS ${_xgrad_header_sources} ${_xgrad_header_list} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/stage_public_headers.cmake
  COMMENT "Staging xgrad's public headers" VERBATIM)
add_custom_target(xgrad_public_headers DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/xgrad_public_headers.stamp)
add_dependencies(xgrad xgrad_public_headers)
