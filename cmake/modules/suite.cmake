# lb_suite: suite files (TOML grids under bench/) expanded into benchmark cases,
# and the vocabulary of operations a case may name.
add_library(lb_suite STATIC src/suite/suite.c)
target_include_directories(lb_suite PUBLIC ${PROJECT_SOURCE_DIR}/src/suite/include)
target_link_libraries(lb_suite PUBLIC lb_util lb_store PRIVATE lb_toml)
target_compile_definitions(lb_suite PRIVATE
  LB_SUITE_DIR="${PROJECT_SOURCE_DIR}/bench"
  LB_SUITE_INSTALL_DIR="${CMAKE_INSTALL_FULL_DATADIR}/latentbench/bench")

if(LATENTBENCH_BUILD_TESTS)
  add_executable(test_suite tests/test_suite.c)
  target_link_libraries(test_suite PRIVATE lb_suite PkgConfig::CHECK)
  add_test(NAME test_suite COMMAND test_suite)
  set_tests_properties(test_suite PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 900)
endif()
