# Run at every build (not at configure time): writes OUT with the commit that
# is being built, touching it only when the text changes, so results name the
# code they measured even when the tree moved on after `cmake -S`.
set(commit "unknown")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
    WORKING_DIRECTORY ${SRC} OUTPUT_VARIABLE out OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET RESULT_VARIABLE rc)
  if(rc EQUAL 0 AND out)
    set(commit "${out}")
  endif()
endif()
set(text "/* generated at build time by cmake/build_info.cmake */\nconst char lb_build_commit[] = \"${commit}\";\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUT} "${text}")
endif()
