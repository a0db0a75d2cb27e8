# lb_gate: regression_config.toml, the comparison against a baseline and its
# verdicts, the Markdown and terminal views (docs/REGRESSION.md).
add_library(lb_gate STATIC
  src/gate/gate_config.c
  src/gate/gate_compare.c
  src/gate/gate_report.c)
target_link_libraries(lb_gate PUBLIC lb_util lb_stats lb_toml lb_store m)
target_include_directories(lb_gate PUBLIC ${PROJECT_SOURCE_DIR}/src/gate/include)

if(LATENTBENCH_BUILD_TESTS)
  add_executable(test_gate tests/test_gate.c)
  target_link_libraries(test_gate PRIVATE lb_gate lb_test_support PkgConfig::CHECK m)
  # The tests edit results files with HDF5 directly (wrong schema, version).
  lb_store_link_hdf5(test_gate PRIVATE)
  target_compile_definitions(test_gate PRIVATE
    LB_GATE_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data/gate"
    LB_GATE_SHIPPED_CONFIG="${PROJECT_SOURCE_DIR}/bench/regression_config.toml")
  add_test(NAME test_gate COMMAND test_gate)
  # HDF5 loses an object header when one fails its checksum (tests/lsan.supp).
  set_tests_properties(test_gate PROPERTIES TIMEOUT 1800 ENVIRONMENT
    "CK_DEFAULT_TIMEOUT=600;LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0")
endif()
