# lb_loader: liblatent as a table of its API functions, resolved with dlopen
# from one build of the library; the harness never links the kernel library.
add_library(latent_headers INTERFACE)
target_include_directories(latent_headers INTERFACE ${PROJECT_SOURCE_DIR}/include)

add_library(lb_loader STATIC src/loader/loader.c)
target_include_directories(lb_loader PUBLIC ${PROJECT_SOURCE_DIR}/src/loader/include)
target_link_libraries(lb_loader PUBLIC lb_util latent_headers PRIVATE ${CMAKE_DL_LIBS})
target_compile_definitions(lb_loader PRIVATE
  LB_LATENT_SONAME="liblatent.so.${PROJECT_VERSION_MAJOR}"
  LB_INSTALL_LIBDIR="${CMAKE_INSTALL_LIBDIR}")

if(LATENTBENCH_BUILD_TESTS)
  # What --lib must refuse: a library without liblatent's API (test_cli).
  add_library(lb_test_not_latent SHARED tests/support/not_latent.c)

  # Drop-in liblatent builds for --lib that are a known percent slower: real
  # CPU work after each timed call, to test the regression gate on a real
  # slowdown (docs/REGRESSION.md); 0 is the wrapper's own cost. The real
  # library is dlopen'ed from its build path, not linked (slow_latent.c says
  # why), so only a build dependency. Never installed.
  foreach(pct 0 5 10 25)
    add_library(lb_test_slow${pct} SHARED tests/support/slow_latent.c)
    target_link_libraries(lb_test_slow${pct} PRIVATE latent_headers ${CMAKE_DL_LIBS})
    target_compile_definitions(lb_test_slow${pct} PRIVATE
      LB_SLOW_PCT=${pct} LB_SLOW_REAL_LIB="$<TARGET_FILE:latent>")
    set_target_properties(lb_test_slow${pct} PROPERTIES
      OUTPUT_NAME latent_slow${pct} C_VISIBILITY_PRESET hidden)
    add_dependencies(lb_test_slow${pct} latent)
    # It exports exactly latent.h's functions, so --lib accepts it.
    add_test(NAME test_slow_latent${pct}_exports
      COMMAND sh ${PROJECT_SOURCE_DIR}/tests/test_exports.sh ${CMAKE_NM} $<TARGET_FILE:lb_test_slow${pct}>
              ${PROJECT_SOURCE_DIR}/include/latent/latent.h)
  endforeach()
endif()
