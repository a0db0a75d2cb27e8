# lb_export: the report formats (Markdown, JSON, CSV, TOML, Google Benchmark
# JSON) and their atomic file output (docs/EXPORTS.md). It renders results
# already in memory; the comparison against a baseline comes from lb_gate and
# is wired in by src/cli/report_cmd.c, so lb_export itself does not link lb_gate.
add_library(lb_export STATIC
  src/export/export.c
  src/export/text.c
  src/export/md.c
  src/export/json.c
  src/export/csv.c
  src/export/toml.c
  src/export/gbench.c)
target_link_libraries(lb_export PUBLIC lb_util lb_store m)
target_include_directories(lb_export PUBLIC ${PROJECT_SOURCE_DIR}/src/export/include)

if(LATENTBENCH_BUILD_TESTS)
  add_executable(test_export tests/test_export.c)
  target_include_directories(test_export PRIVATE ${PROJECT_SOURCE_DIR}/src/export)
  target_link_libraries(test_export PRIVATE lb_export lb_util lb_test_support PkgConfig::CHECK m)
  add_test(NAME test_export COMMAND test_export)
  set_tests_properties(test_export PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 900)

  # Other tools must parse what the writers write: a setup test writes every
  # format from the test's fixture, then Python reads each back with json,
  # tomllib and csv and checks the values and Google Benchmark's field names.
  add_test(NAME test_export_py_write
    COMMAND test_export --write ${CMAKE_CURRENT_BINARY_DIR}/test_export_py)
  set_tests_properties(test_export_py_write PROPERTIES FIXTURES_SETUP lb_export_py)
  add_test(NAME test_export_py
    COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/test_export_py.py
            ${CMAKE_CURRENT_BINARY_DIR}/test_export_py)
  set_tests_properties(test_export_py PROPERTIES FIXTURES_REQUIRED lb_export_py TIMEOUT 300)
endif()
