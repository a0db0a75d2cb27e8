# lb_bench: the measurement core (clock, Criterion's sampling) and the
# operations measured on liblatent, single-rank and data-sharded.
add_library(lb_bench STATIC
  src/bench/clock.c
  src/bench/measure.c
  src/bench/ops.c)
target_include_directories(lb_bench PUBLIC ${PROJECT_SOURCE_DIR}/src/bench/include)
target_link_libraries(lb_bench PUBLIC lb_util lb_suite lb_store lb_cluster latent_static m)

if(LATENTBENCH_BUILD_TESTS)
  add_executable(test_measure tests/test_measure.c)
  target_link_libraries(test_measure PRIVATE lb_bench lb_stats PkgConfig::CHECK)
  add_test(NAME test_measure COMMAND test_measure)
  set_tests_properties(test_measure PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 900)
endif()
