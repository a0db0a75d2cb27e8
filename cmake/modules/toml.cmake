# lb_toml: the strict TOML reader of the harness's configuration files.
add_library(lb_toml STATIC src/toml/toml.c src/toml/toml_parse.c)
target_link_libraries(lb_toml PUBLIC lb_util PRIVATE m)
target_include_directories(lb_toml PUBLIC ${PROJECT_SOURCE_DIR}/src/toml/include)

if(LATENTBENCH_BUILD_TESTS)
  # The mutation checker of tests/fuzz/ is linked in too: the same checks run
  # deterministically in every CI build, including the sanitizer one.
  add_executable(test_toml tests/test_toml.c tests/fuzz/fuzz_toml.c)
  target_link_libraries(test_toml PRIVATE lb_toml PkgConfig::CHECK)
  target_compile_definitions(test_toml PRIVATE
    LB_TOML_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data/toml")
  # Out-of-memory test: route the parser's allocations through a wrapper that
  # fails on request (GNU ld and lld both support --wrap).
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
    target_link_options(test_toml PRIVATE
      "LINKER:--wrap=lb_malloc" "LINKER:--wrap=lb_realloc")
    target_compile_definitions(test_toml PRIVATE LB_TOML_TEST_OOM=1)
  endif()
  add_test(NAME test_toml COMMAND test_toml ${PROJECT_SOURCE_DIR}/tests/data/toml)
  set_tests_properties(test_toml PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 1800)
endif()
