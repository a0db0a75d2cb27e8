# lb_probe: the node's hardware bounds (read bandwidth from memory and hot in
# cache, STREAM triad, the FMA peak per ISA) and a row's bound from them
# (docs/PROBE.md). POSIX threads, not OpenMP: the harness must not load the
# OpenMP runtime before lb_threads_decide (docs/ARCHITECTURE.md). The SIMD
# kernels carry their own target attributes; the file builds for baseline x86-64.
add_library(lb_probe STATIC src/probe/probe.c)
target_include_directories(lb_probe PUBLIC ${PROJECT_SOURCE_DIR}/src/probe/include)
target_link_libraries(lb_probe PUBLIC lb_util lb_store Threads::Threads m)

if(LATENTBENCH_BUILD_TESTS)
  # The bound of hand-made rows, and a quick probe's values (finite, positive,
  # AVX-512's peak above scalar's where the CPU has it).
  add_executable(test_probe tests/test_probe.c)
  target_link_libraries(test_probe PRIVATE lb_probe PkgConfig::CHECK m)
  add_test(NAME test_probe COMMAND test_probe)
  set_tests_properties(test_probe PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=120" TIMEOUT 300)
endif()
