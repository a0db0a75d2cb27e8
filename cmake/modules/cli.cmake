# The latentbench command: argument parsing and output only; a run's work is
# in lb_runner.

# lb_cli: the commands without main, so that a test or the command-line
# fuzzer can link them (lb_cli_parse_only in src/cli/cli.h).
add_library(lb_cli STATIC
  src/cli/opts.c
  src/cli/commands.c
  src/cli/run.c
  src/cli/list.c
  src/cli/verify.c
  src/cli/report.c
  src/cli/compare.c
  src/cli/report_cmd.c
  src/cli/baseline_cmd.c
  src/cli/library.c
  src/cli/ab.c
  src/cli/probe.c)
target_include_directories(lb_cli PUBLIC ${PROJECT_SOURCE_DIR}/src/cli)
target_link_libraries(lb_cli PUBLIC lb_runner lb_loader lb_bench lb_suite lb_cluster lb_stats lb_store lb_gate
  lb_export lb_baseline)
add_executable(latentbench src/cli/main.c)
target_link_libraries(latentbench PRIVATE lb_cli)
# The kernel library is loaded at run time (lb_loader), never linked: the
# default build is the one beside the binary, built with it.
add_dependencies(latentbench latent)
target_compile_definitions(latentbench PRIVATE LB_VERSION="${PROJECT_VERSION}")

install(TARGETS latentbench RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES
  bench/latency.toml bench/throughput.toml bench/memory.toml bench/matrix.toml
  bench/critical_path.toml bench/attention_comparison.toml bench/distance_comparison.toml
  bench/flash_attention.toml bench/ci.toml bench/all.toml bench/scaling.toml bench/peers.toml
  DESTINATION ${CMAKE_INSTALL_DATADIR}/latentbench/bench)
# report --format html runs analysis/report.py, found at
# <bindir>/../share/latentbench/analysis (docs/ANALYSIS.md)
install(FILES analysis/report.py DESTINATION ${CMAKE_INSTALL_DATADIR}/latentbench/analysis)
install(FILES
  analysis/lbanalysis/__init__.py analysis/lbanalysis/cli.py analysis/lbanalysis/compare.py
  analysis/lbanalysis/errors.py analysis/lbanalysis/figures.py analysis/lbanalysis/history.py
  analysis/lbanalysis/page.py analysis/lbanalysis/plotting.py analysis/lbanalysis/results.py
  analysis/lbanalysis/units.py
  DESTINATION ${CMAKE_INSTALL_DATADIR}/latentbench/analysis/lbanalysis)

if(LATENTBENCH_BUILD_TESTS)
  # The option parser and lb_cli_parse_only: whole command lines, table-driven.
  add_executable(test_cli_opts tests/test_cli_opts.c)
  target_link_libraries(test_cli_opts PRIVATE lb_cli PkgConfig::CHECK)
  add_test(NAME test_cli_opts COMMAND test_cli_opts)
  set_tests_properties(test_cli_opts PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=120" TIMEOUT 300)
  # The command line end to end (exit codes, files, verify), and distributed
  # runs under mpirun -np 1, 2, 3 (shard modes, sharded verify, failures).
  foreach(t test_cli test_mpi)
    add_test(NAME ${t} COMMAND ${CMAKE_COMMAND} -E env
      LATENTBENCH=$<TARGET_FILE:latentbench> MPIEXEC=${MPIEXEC_EXECUTABLE}
      LB_SOURCE_DIR=${PROJECT_SOURCE_DIR} LB_SLOW0=$<TARGET_FILE:lb_test_slow0>
      LB_NOT_LATENT=$<TARGET_FILE:lb_test_not_latent>
      LATENTBENCH_CHECK_LEAKS=1
      # Open MPI's plugins leak at exit from unloaded modules LeakSanitizer cannot
      # name; the harness's and liblatent's own allocations are checked at exit by
      # LATENTBENCH_CHECK_LEAKS, and every module's own test runs with leak checks.
      ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
      bash ${PROJECT_SOURCE_DIR}/tests/${t}.sh)
    set_tests_properties(${t} PROPERTIES TIMEOUT 1800)
  endforeach()
  # Every row of docs/BAD-INPUTS.md: exit code, the one error line, no file
  # left or damaged, no crash.
  # No hardware probe before the runs: no row checks a bound, and it would add
  # a second or so to each of the table's runs.
  add_test(NAME test_bad_inputs COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH_CHECK_LEAKS=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 LATENTBENCH_PROBE=0
    /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/test_bad_inputs.py
    $<TARGET_FILE:latentbench> ${PROJECT_SOURCE_DIR})
  set_tests_properties(test_bad_inputs PROPERTIES TIMEOUT 1800)
  # SIGINT / SIGTERM while measuring, alone and under mpirun; a crashing rank.
  # The signals come at fixed delays after the start: no hardware probe before
  # the first row (up to a second or more on a loaded machine, docs/PROBE.md).
  add_test(NAME test_interrupt COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH=$<TARGET_FILE:latentbench> MPIEXEC=${MPIEXEC_EXECUTABLE} LATENTBENCH_PROBE=0
    LB_SOURCE_DIR=${PROJECT_SOURCE_DIR} ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    bash ${PROJECT_SOURCE_DIR}/tests/test_interrupt.sh)
  set_tests_properties(test_interrupt PROPERTIES TIMEOUT 600)
  # The journal: SIGKILL / SIGTERM then run --resume, alone and under mpirun;
  # torn, damaged and foreign journals. Kills come at fixed delays: no probe
  # (as test_interrupt).
  add_test(NAME test_resume COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH=$<TARGET_FILE:latentbench> MPIEXEC=${MPIEXEC_EXECUTABLE} LATENTBENCH_PROBE=0
    LB_SOURCE_DIR=${PROJECT_SOURCE_DIR} LATENTBENCH_CHECK_LEAKS=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    bash ${PROJECT_SOURCE_DIR}/tests/test_resume.sh)
  set_tests_properties(test_resume PROPERTIES TIMEOUT 600)
  # latentbench ab: A/A of two copies, a build made 25% slower, refused libraries.
  set(lb_slow25 "")
  if(TARGET lb_test_slow25)
    set(lb_slow25 $<TARGET_FILE:lb_test_slow25>)
  endif()
  add_test(NAME test_ab COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH=$<TARGET_FILE:latentbench> MPIEXEC=${MPIEXEC_EXECUTABLE}
    LB_SLOW25=${lb_slow25} LB_NOT_LATENT=$<TARGET_FILE:lb_test_not_latent>
    LATENTBENCH_CHECK_LEAKS=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    bash ${PROJECT_SOURCE_DIR}/tests/test_ab.sh)
  set_tests_properties(test_ab PROPERTIES TIMEOUT 1800)
endif()
