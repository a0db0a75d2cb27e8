# lb_bench: the measurement core (clock, Criterion's sampling) and the
# operations measured on liblatent, single-rank and data-sharded.
add_library(lb_bench STATIC
  src/bench/clock.c
  src/bench/measure.c
  src/bench/ops.c)
target_include_directories(lb_bench PUBLIC ${PROJECT_SOURCE_DIR}/src/bench/include)
target_link_libraries(lb_bench PUBLIC lb_util lb_suite lb_store lb_cluster lb_loader m)

if(LATENTBENCH_BUILD_TESTS)
  add_executable(test_measure tests/test_measure.c)
  target_link_libraries(test_measure PRIVATE lb_bench lb_stats PkgConfig::CHECK)
  add_test(NAME test_measure COMMAND test_measure)
  set_tests_properties(test_measure PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 900)

  # Data sharding against one process, under mpirun with 1, 2 and 3 ranks (3
  # leaves some ranks without rows when n is small). A plain MPI program:
  # Check's forked tests cannot take part in MPI collectives.
  add_executable(test_shard tests/test_shard.c)
  target_link_libraries(test_shard PRIVATE lb_bench lb_store lb_cluster lb_loader ${CMAKE_DL_LIBS} m)
  add_dependencies(test_shard latent)
  foreach(np 1 2 3)
    add_test(NAME test_shard_np${np}
      COMMAND ${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe -np ${np} $<TARGET_FILE:test_shard>)
    set_tests_properties(test_shard_np${np} PROPERTIES
      ENVIRONMENT "OMP_NUM_THREADS=1;ASAN_OPTIONS=detect_leaks=0:abort_on_error=1" TIMEOUT 300)
  endforeach()
endif()
