# lb_util: the harness's allocator, error codes and atomic file output, text checks, interrupts.
add_library(lb_util STATIC src/util/alloc.c src/util/error.c src/util/fileio.c src/util/text.c
  src/util/units.c src/util/interrupt.c)
# A module exposes only its interface headers (src/<module>/include/latentbench/);
# the headers private to it stay beside its sources.
target_include_directories(lb_util PUBLIC ${PROJECT_SOURCE_DIR}/src/util/include)

if(LATENTBENCH_BUILD_TESTS)
  # Inputs opened one checked way (FIFOs, devices, directories, the size cap),
  # outputs checked before the work, the same file through links.
  add_executable(test_fileio tests/test_fileio.c)
  target_link_libraries(test_fileio PRIVATE lb_util PkgConfig::CHECK)
  add_test(NAME test_fileio COMMAND test_fileio)
  set_tests_properties(test_fileio PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=120" TIMEOUT 300)
endif()
