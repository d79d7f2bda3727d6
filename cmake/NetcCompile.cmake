# NetcCompile.cmake: build a network ahead of time and link it like a library.
#
#   netc_add_network(<target> NET <file.net>
#                    [WEIGHTS <file.nw>]
#                    [TARGET <netc target name or Halide target string>]  # default: host
#                    [BATCH <n>]                                          # default: netc's
#                    [NAME <c identifier>]                                # default: <target>, lowercased
#                    [EMBED_WEIGHTS]
#                    [OPTIONS <extra netc compile arguments>...])
#
# At build time this runs
#   netc compile <file.net> --target <T> -o ${CMAKE_CURRENT_BINARY_DIR}/<target>
#                --name <NAME> [--batch <n>] [--weights <file.nw>] [--embed-weights]
# (again whenever the .net or the weights file changes), which writes
# <NAME>.a, <NAME>.h and, without EMBED_WEIGHTS, <NAME>.weights there.
# <target> is an imported static library: linking it adds the output
# directory to the include path (#include "<NAME>.h") and links <NAME>.a with
# Threads::Threads, ${CMAKE_DL_LIBS} and libm; a plain C99 program can use it.
#
# Properties set on <target> (and variables <target>_NETC_NAME,
# <target>_NETC_HEADER, <target>_NETC_WEIGHTS_FILE in the caller's scope):
#   NETC_NAME          the C prefix, e.g. resnet20 (resnet20_init, ...)
#   NETC_HEADER        full path of <NAME>.h
#   NETC_OUTPUT_DIR    the output directory
#   NETC_WEIGHTS_FILE  full path of <NAME>.weights ("" with EMBED_WEIGHTS)
#
# The netc that runs is, in this order: ${NETC_EXECUTABLE} when set (a path
# or $<TARGET_FILE:netc>), the imported netc::netc from find_package(netc),
# the target netc when this is netc's own build, else netc found on PATH.
#
# From netc's build tree (no install needed):
#   set(NETC_EXECUTABLE /path/to/build/tools/netc/netc)
#   include(/path/to/netc/cmake/NetcCompile.cmake)
include_guard(GLOBAL)

function(netc_add_network target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "EMBED_WEIGHTS" "NET;WEIGHTS;TARGET;BATCH;NAME" "OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "netc_add_network(${target}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_NET)
    message(FATAL_ERROR "netc_add_network(${target}): NET <file.net> is required")
  endif()
  if(TARGET ${target})
    message(FATAL_ERROR "netc_add_network(${target}): a target named ${target} already exists")
  endif()
  get_filename_component(net "${ARG_NET}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${net}")
    message(FATAL_ERROR "netc_add_network(${target}): NET file ${net} does not exist")
  endif()

  if(DEFINED ARG_NAME)
    set(name "${ARG_NAME}")
  else()
    string(MAKE_C_IDENTIFIER "${target}" name)
    string(TOLOWER "${name}" name)
  endif()
  if(NOT name MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "netc_add_network(${target}): NAME '${name}' is not a C identifier")
  endif()
  if(NOT DEFINED ARG_TARGET OR ARG_TARGET STREQUAL "")
    set(ARG_TARGET host)
  endif()
  if(DEFINED ARG_BATCH AND NOT ARG_BATCH MATCHES "^[1-9][0-9]*$")
    message(FATAL_ERROR "netc_add_network(${target}): BATCH '${ARG_BATCH}' is not a positive integer")
  endif()

  # Which netc.
  set(netc_depends "")
  if(NETC_EXECUTABLE)
    set(netc_cmd "${NETC_EXECUTABLE}")
    if(TARGET netc AND NOT TARGET netc::netc)
      list(APPEND netc_depends netc)  # netc's own build: build netc first
    elseif(NOT NETC_EXECUTABLE MATCHES "^\\$<")
      list(APPEND netc_depends "${NETC_EXECUTABLE}")
    endif()
  elseif(TARGET netc::netc)
    set(netc_cmd netc::netc)
    list(APPEND netc_depends "$<TARGET_FILE:netc::netc>")
  elseif(TARGET netc)
    set(netc_cmd netc)
    list(APPEND netc_depends netc)
  else()
    find_program(NETC_EXECUTABLE netc)
    if(NOT NETC_EXECUTABLE)
      message(FATAL_ERROR "netc_add_network(${target}): no netc: set NETC_EXECUTABLE, "
                          "or find_package(netc)")
    endif()
    set(netc_cmd "${NETC_EXECUTABLE}")
    list(APPEND netc_depends "${NETC_EXECUTABLE}")
  endif()

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/${target}")
  # An imported target's include directory must exist when CMake generates.
  file(MAKE_DIRECTORY "${out_dir}")
  set(lib "${out_dir}/${name}.a")
  set(header "${out_dir}/${name}.h")
  set(outputs "${lib}" "${header}")
  set(args compile "${net}" --target "${ARG_TARGET}" -o "${out_dir}" --name "${name}")
  set(depends "${net}" ${netc_depends})
  if(DEFINED ARG_BATCH)
    list(APPEND args --batch "${ARG_BATCH}")
  endif()
  if(ARG_WEIGHTS)
    get_filename_component(weights "${ARG_WEIGHTS}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND args --weights "${weights}")
    list(APPEND depends "${weights}")
  endif()
  if(ARG_EMBED_WEIGHTS)
    list(APPEND args --embed-weights)
    set(weights_out "")
  else()
    set(weights_out "${out_dir}/${name}.weights")
    list(APPEND outputs "${weights_out}")
  endif()
  list(APPEND args ${ARG_OPTIONS})

  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${netc_cmd} ${args}
    DEPENDS ${depends}
    COMMENT "netc: compiling ${ARG_NET} for ${ARG_TARGET} into ${target}/${name}.a"
    VERBATIM)
  add_custom_target(${target}_netc DEPENDS ${outputs})

  if(NOT TARGET Threads::Threads)
    set(THREADS_PREFER_PTHREAD_FLAG ON)
    find_package(Threads REQUIRED)
    # Visible wherever <target> is linked, not only in this directory.
    set_target_properties(Threads::Threads PROPERTIES IMPORTED_GLOBAL TRUE)
  endif()
  set(link Threads::Threads ${CMAKE_DL_LIBS})
  if(UNIX)
    list(APPEND link m)
  endif()

  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${lib}"
    IMPORTED_LINK_INTERFACE_LANGUAGES C
    INTERFACE_INCLUDE_DIRECTORIES "${out_dir}"
    INTERFACE_LINK_LIBRARIES "${link}"
    NETC_NAME "${name}"
    NETC_HEADER "${header}"
    NETC_OUTPUT_DIR "${out_dir}"
    NETC_WEIGHTS_FILE "${weights_out}")
  # Whatever links <target> waits for netc compile.
  add_dependencies(${target} ${target}_netc)

  set(${target}_NETC_NAME "${name}" PARENT_SCOPE)
  set(${target}_NETC_HEADER "${header}" PARENT_SCOPE)
  set(${target}_NETC_WEIGHTS_FILE "${weights_out}" PARENT_SCOPE)
endfunction()
