# lb_baseline: the baseline directory (per machine fingerprint, with history)
# and the regression actions: webhook notification (libcurl) and issue body.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)

add_library(lb_baseline STATIC
  src/baseline/baseline_slug.c
  src/baseline/baseline_store.c
  src/baseline/notify_summary.c
  src/baseline/notify_webhook.c)
target_link_libraries(lb_baseline PUBLIC lb_util lb_store lb_gate PRIVATE PkgConfig::CURL m)
target_include_directories(lb_baseline PUBLIC ${PROJECT_SOURCE_DIR}/src/baseline/include)

if(LATENTBENCH_BUILD_TESTS)
  # Proxies from the environment must not capture the tests' 127.0.0.1 server.
  set(lb_baseline_test_env
    "CK_DEFAULT_TIMEOUT=600"
    "NO_PROXY=127.0.0.1" "no_proxy=127.0.0.1"
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0")

  # The directory logic alone: results files are made with lb_store.
  add_executable(test_baseline tests/test_baseline.c)
  target_link_libraries(test_baseline PRIVATE lb_baseline lb_store lb_util PkgConfig::CHECK)
  add_test(NAME test_baseline COMMAND test_baseline)
  set_tests_properties(test_baseline PROPERTIES ENVIRONMENT "${lb_baseline_test_env}" TIMEOUT 600)

  # The webhook against a python3 server on 127.0.0.1 that the test starts.
  add_executable(test_notify tests/test_notify.c)
  target_link_libraries(test_notify PRIVATE lb_baseline lb_util PkgConfig::CHECK)
  target_compile_definitions(test_notify PRIVATE
    LB_NOTIFY_SERVER="${PROJECT_SOURCE_DIR}/tests/notify_server.py")
  add_test(NAME test_notify COMMAND test_notify)
  set_tests_properties(test_notify PROPERTIES ENVIRONMENT "${lb_baseline_test_env}" TIMEOUT 300)

  find_program(LB_SHELLCHECK shellcheck REQUIRED)
  add_test(NAME test_scripts_shellcheck WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMAND ${LB_SHELLCHECK} -x
    ${PROJECT_SOURCE_DIR}/scripts/lib.sh
    ${PROJECT_SOURCE_DIR}/scripts/benchmark_ci.sh
    ${PROJECT_SOURCE_DIR}/scripts/update_baseline.sh
    ${PROJECT_SOURCE_DIR}/scripts/generate_report.sh
    ${PROJECT_SOURCE_DIR}/scripts/scaling.sh
    ${PROJECT_SOURCE_DIR}/tests/test_scripts.sh
    ${PROJECT_SOURCE_DIR}/tests/cli_lib.sh
    ${PROJECT_SOURCE_DIR}/tests/test_cli.sh
    ${PROJECT_SOURCE_DIR}/tests/test_mpi.sh
    ${PROJECT_SOURCE_DIR}/tests/test_ab.sh)

  # The CI scripts end to end against the real binary (tiny, fast runs).
  add_test(NAME test_scripts COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH=$<TARGET_FILE:latentbench>
    LB_SCRIPTS=${PROJECT_SOURCE_DIR}/scripts
    LB_NOTIFY_SERVER=${PROJECT_SOURCE_DIR}/tests/notify_server.py
    NO_PROXY=127.0.0.1 no_proxy=127.0.0.1
    LATENTBENCH_CHECK_LEAKS=1
    # as in test_cli: Open MPI's plugins leak at exit from modules LSan cannot name
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    bash ${PROJECT_SOURCE_DIR}/tests/test_scripts.sh)
  set_tests_properties(test_scripts PROPERTIES TIMEOUT 900)
  unset(lb_baseline_test_env)
endif()
