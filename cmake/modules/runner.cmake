# lb_runner: how a run happens (plan -> schedule -> measure -> gather -> store),
# on one process or many MPI ranks; the command line only parses into it.

# The commit being built, written at build time (cmake/build_info.cmake), so
# results name the code they measured even when the tree moved on after cmake -S.
set(LB_BUILD_INFO_C ${CMAKE_CURRENT_BINARY_DIR}/lb_build_info.c)
add_custom_target(lb_build_info_gen
  COMMAND ${CMAKE_COMMAND} -DSRC=${PROJECT_SOURCE_DIR} -DOUT=${LB_BUILD_INFO_C} -P ${PROJECT_SOURCE_DIR}/cmake/build_info.cmake
  BYPRODUCTS ${LB_BUILD_INFO_C}
  VERBATIM)

add_library(lb_runner STATIC
  src/runner/runner.c
  src/runner/journal.c
  src/runner/plan.c
  src/runner/machine.c
  src/runner/ab.c
  src/runner/peers.c
  ${LB_BUILD_INFO_C})
add_dependencies(lb_runner lb_build_info_gen)
target_include_directories(lb_runner PUBLIC ${PROJECT_SOURCE_DIR}/src/runner/include)
target_link_libraries(lb_runner PUBLIC lb_util lb_bench lb_suite lb_cluster lb_store lb_stats lb_gate
  lb_loader lb_probe m)
target_compile_definitions(lb_runner PRIVATE
  LB_VERSION="${PROJECT_VERSION}"
  LB_BUILD_TYPE="${CMAKE_BUILD_TYPE}")

if(LATENTBENCH_BUILD_TESTS)
  # The schedule is a pure function: every case exactly once, for 1..8 slots.
  add_executable(test_schedule tests/test_schedule.c)
  target_link_libraries(test_schedule PRIVATE lb_runner PkgConfig::CHECK m)
  add_test(NAME test_schedule COMMAND test_schedule)
  set_tests_properties(test_schedule PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 600)
  # The A/B verdict on synthetic rounds of known ratio: false alarms and power.
  add_executable(test_ab_verdict tests/test_ab_verdict.c)
  target_link_libraries(test_ab_verdict PRIVATE lb_runner PkgConfig::CHECK m)
  add_test(NAME test_ab_verdict COMMAND test_ab_verdict)
  set_tests_properties(test_ab_verdict PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 600)
endif()
