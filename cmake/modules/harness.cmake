# The latentbench executable: measurement core, operations, suites, MPI, CLI.
find_package(MPI REQUIRED COMPONENTS C)

add_library(lb_bench STATIC
  src/bench/clock.c
  src/bench/measure.c
  src/bench/ops.c
  src/suite/suite.c
  src/cluster/cluster.c)
target_include_directories(lb_bench PUBLIC ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(lb_bench PUBLIC lb_util lb_toml latent_static MPI::MPI_C m)
target_compile_definitions(lb_bench PRIVATE
  LB_SUITE_DIR="${PROJECT_SOURCE_DIR}/bench"
  LB_SUITE_INSTALL_DIR="${CMAKE_INSTALL_FULL_DATADIR}/latentbench/bench")

find_package(Git QUIET)
set(LB_GIT_COMMIT "unknown")
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} describe --always --dirty --abbrev=12
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} OUTPUT_VARIABLE LB_GIT_OUT
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE LB_GIT_RC)
  if(LB_GIT_RC EQUAL 0 AND LB_GIT_OUT)
    set(LB_GIT_COMMIT "${LB_GIT_OUT}")
  endif()
endif()

add_executable(latentbench
  src/cli/main.c
  src/cli/run.c
  src/cli/list.c
  src/cli/verify.c
  src/cli/machine.c
  src/cli/report.c
  src/cli/compare.c
  src/cli/report_cmd.c
  src/cli/baseline_cmd.c)
target_link_libraries(latentbench PRIVATE lb_bench lb_stats lb_store lb_gate lb_export lb_baseline)
target_compile_definitions(latentbench PRIVATE
  LB_VERSION="${PROJECT_VERSION}"
  LB_GIT_COMMIT="${LB_GIT_COMMIT}"
  LB_BUILD_TYPE="${CMAKE_BUILD_TYPE}")

install(TARGETS latentbench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES
  bench/latency.toml bench/throughput.toml bench/memory.toml bench/matrix.toml
  bench/critical_path.toml bench/attention_comparison.toml bench/distance_comparison.toml
  bench/flash_attention.toml bench/ci.toml bench/all.toml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/latentbench/bench)

if(LATENTBENCH_BUILD_TESTS)
  foreach(t test_measure test_suite)
    add_executable(${t} tests/${t}.c)
    target_link_libraries(${t} PRIVATE lb_bench lb_stats PkgConfig::CHECK)
    add_test(NAME ${t} COMMAND ${t})
    set_tests_properties(${t} PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 900)
  endforeach()
  # The command line end to end: exit codes, files, MPI ranks, verify.
  add_test(NAME test_cli COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH=$<TARGET_FILE:latentbench> MPIEXEC=${MPIEXEC_EXECUTABLE}
    LATENTBENCH_CHECK_LEAKS=1
    # Open MPI's plugins leak at exit from unloaded modules LeakSanitizer cannot
    # name; the harness's and liblatent's own allocations are checked at exit by
    # LATENTBENCH_CHECK_LEAKS, and every module's own test runs with leak checks.
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    bash ${PROJECT_SOURCE_DIR}/tests/test_cli.sh)
  set_tests_properties(test_cli PROPERTIES TIMEOUT 1800)
endif()
