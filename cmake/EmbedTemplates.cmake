# attngen_embed_templates(TARGET <name> DIR <templates dir>)
# Embeds every header under DIR (attngen/**/*.h, *.cuh) into a C++ source as
# in-memory headers for NVRTC, with a SHA-256 of the whole bundle that enters
# every cache key (a changed template must never be served a stale cubin).
function(attngen_embed_templates)
  cmake_parse_arguments(ARG "" "TARGET;DIR" "" ${ARGN})
  file(GLOB_RECURSE headers CONFIGURE_DEPENDS
       "${ARG_DIR}/attngen/*.h" "${ARG_DIR}/attngen/*.cuh")
  list(SORT headers)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/TemplateBundle.cpp")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DDIR=${ARG_DIR} -DOUT=${out}
            -P ${PROJECT_SOURCE_DIR}/cmake/EmbedTemplatesScript.cmake
    DEPENDS ${headers} ${PROJECT_SOURCE_DIR}/cmake/EmbedTemplatesScript.cmake
    COMMENT "Embedding device templates")
  add_library(${ARG_TARGET} STATIC "${out}")
endfunction()
