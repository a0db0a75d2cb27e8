# Fuzz targets of the parsers of untrusted input (docs/FUZZING.md).
#
# Every target is one LLVMFuzzerTestOneInput in tests/fuzz/fuzz_<name>.c, built
# two ways:
#  - fuzz_replay_<name> (any compiler, with the tests): replays the committed
#    seed corpus and every saved crash reproducer (tests/fuzz/regressions/) as a
#    ctest test, so the Release and sanitizer builds run them too;
#  - fuzz_<name> (LATENTBENCH_FUZZ=ON, clang): the libFuzzer binary; ctest's
#    label "fuzz" runs each one for LATENTBENCH_FUZZ_SECONDS.
set(LB_FUZZ_DIR ${PROJECT_SOURCE_DIR}/tests/fuzz)
set(LATENTBENCH_FUZZ_SECONDS 30 CACHE STRING "Seconds each libFuzzer target runs under ctest -L fuzz")

# name, then the libraries it links
set(lb_fuzz_targets toml suite gate_config results results_schema dataset)
set(lb_fuzz_libs_toml lb_toml)
set(lb_fuzz_libs_suite lb_suite)
set(lb_fuzz_libs_gate_config lb_gate)
set(lb_fuzz_libs_results lb_gate lb_store)
set(lb_fuzz_libs_results_schema lb_gate lb_store)
set(lb_fuzz_libs_dataset lb_store)
# results_schema edits its seed file through HDF5 itself.
function(lb_fuzz_setup target name)
  if(name STREQUAL "results_schema")
    lb_store_link_hdf5(${target} PRIVATE)
    target_compile_definitions(${target} PRIVATE
      LB_FUZZ_RESULTS_SEED="${LB_FUZZ_DIR}/corpus/results/plain.h5")
  endif()
endfunction()
if(TARGET lb_cli)
  list(APPEND lb_fuzz_targets cli)
  set(lb_fuzz_libs_cli lb_cli)
endif()

if(LATENTBENCH_BUILD_TESTS)
  foreach(t IN LISTS lb_fuzz_targets)
    add_executable(fuzz_replay_${t} ${LB_FUZZ_DIR}/replay.c ${LB_FUZZ_DIR}/fuzz_${t}.c ${LB_FUZZ_DIR}/fuzz_file.c)
    target_link_libraries(fuzz_replay_${t} PRIVATE ${lb_fuzz_libs_${t}})
    lb_fuzz_setup(fuzz_replay_${t} ${t})
    add_test(NAME fuzz_replay_${t}
      COMMAND fuzz_replay_${t} ${LB_FUZZ_DIR}/corpus/${t} ${LB_FUZZ_DIR}/regressions/${t})
    # HDF5 loses an object header when one fails its checksum (tests/lsan.supp).
    set_tests_properties(fuzz_replay_${t} PROPERTIES TIMEOUT 600 ENVIRONMENT
      "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0")
  endforeach()
  # The scripts of the test command itself (the CI scripts have their own check).
  find_program(LB_FUZZ_SHELLCHECK shellcheck)
  if(LB_FUZZ_SHELLCHECK)
    add_test(NAME test_ci_scripts_shellcheck WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMAND ${LB_FUZZ_SHELLCHECK}
      ${LB_FUZZ_DIR}/run_fuzz.sh ${PROJECT_SOURCE_DIR}/scripts/test.sh ${PROJECT_SOURCE_DIR}/scripts/main.sh
      ${PROJECT_SOURCE_DIR}/scripts/deps.sh ${PROJECT_SOURCE_DIR}/.ci/run)
  endif()
endif()

if(LATENTBENCH_FUZZ)
  enable_testing()
  add_custom_target(lb_fuzz_all)
  foreach(t IN LISTS lb_fuzz_targets)
    add_executable(fuzz_${t} ${LB_FUZZ_DIR}/fuzz_${t}.c ${LB_FUZZ_DIR}/fuzz_file.c)
    target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(fuzz_${t} PRIVATE ${lb_fuzz_libs_${t}})
    lb_fuzz_setup(fuzz_${t} ${t})
    add_dependencies(lb_fuzz_all fuzz_${t})
    add_test(NAME fuzz_${t}
      COMMAND bash ${LB_FUZZ_DIR}/run_fuzz.sh $<TARGET_FILE:fuzz_${t}> ${t} ${LATENTBENCH_FUZZ_SECONDS}
              ${CMAKE_CURRENT_BINARY_DIR}/fuzz-artifacts)
    set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz TIMEOUT 900 ENVIRONMENT
      "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0")
  endforeach()
endif()
