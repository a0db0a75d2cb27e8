# lb_stats: estimators, bootstrap intervals and the Mann-Whitney test of
# benchmark samples; the paired A/B statistics (signed-rank test,
# Hodges-Lehmann bounds, round order) (docs/STATISTICS.md).
add_library(lb_stats STATIC
  src/stats/stats_select.c
  src/stats/stats_estimators.c
  src/stats/stats_bootstrap.c
  src/stats/stats_mann_whitney.c
  src/stats/stats_normal.c
  src/stats/stats_wilcoxon.c
  src/stats/stats_hodges_lehmann.c
  src/stats/stats_ab_order.c
  src/stats/stats_summary.c)
target_link_libraries(lb_stats PUBLIC lb_util m)
target_include_directories(lb_stats PUBLIC ${PROJECT_SOURCE_DIR}/src/stats/include)

if(LATENTBENCH_BUILD_TESTS)
  # tests/data/stats_vectors.h is generated once by tests/data/gen_stats_vectors.py
  # (numpy/scipy) and committed; the build never runs Python.
  add_executable(test_stats tests/test_stats.c)
  target_include_directories(test_stats PRIVATE
    ${PROJECT_SOURCE_DIR}/src/stats ${PROJECT_SOURCE_DIR}/tests/data)
  target_link_libraries(test_stats PRIVATE lb_stats PkgConfig::CHECK m)
  add_test(NAME test_stats COMMAND test_stats)
  # Generous Check timeout: the same suite runs under AddressSanitizer.
  set_tests_properties(test_stats PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=600" TIMEOUT 1800)
endif()
