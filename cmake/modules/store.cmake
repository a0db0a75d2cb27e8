# lb_store: the HDF5 results file and the ann-benchmarks dataset reader/writer.

# Links target to the serial HDF5 C library (visibility PRIVATE or PUBLIC).
#
# Serial, because rank 0 alone writes results and the MPI flavour's headers would
# pull mpi.h into everything that includes hdf5.h. Debian and Ubuntu install both
# flavours side by side (/usr/include/hdf5/{serial,openmpi}) and point the generic
# names (h5cc, hdf5.pc) at one of them through update-alternatives, so
# find_package(HDF5) may come back with the MPI build, or with nothing when only
# hdf5-openmpi's wrappers are on PATH. CMake's answer is therefore taken only when
# it is serial; otherwise pkg-config's explicitly serial module `hdf5-serial` is
# used. find_package is not REQUIRED so that the fallback can run; the function
# stops configuration itself when neither works. It is a function so that
# FindHDF5's variables stay out of the including scope.
function(lb_store_link_hdf5 target visibility)
  set(HDF5_PREFER_PARALLEL OFF)
  find_package(HDF5 QUIET COMPONENTS C)
  if(HDF5_FOUND AND NOT HDF5_IS_PARALLEL AND TARGET HDF5::HDF5)
    target_link_libraries(${target} ${visibility} HDF5::HDF5)
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(LB_HDF5_SERIAL QUIET IMPORTED_TARGET hdf5-serial)
    if(LB_HDF5_SERIAL_FOUND)
      target_link_libraries(${target} ${visibility} PkgConfig::LB_HDF5_SERIAL)
      return()
    endif()
  endif()
  message(FATAL_ERROR
    "lb_store needs the serial HDF5 C library: find_package(HDF5) found "
    "${HDF5_FOUND} (parallel: ${HDF5_IS_PARALLEL}) and pkg-config has no hdf5-serial. "
    "Install libhdf5-dev (Debian/Ubuntu) or set HDF5_ROOT to a serial HDF5.")
endfunction()

add_library(lb_store STATIC
  src/store/results.c
  src/store/results_check.c
  src/store/dataset.c
  src/store/h5io.c)
target_link_libraries(lb_store PUBLIC lb_util)
target_include_directories(lb_store PUBLIC ${PROJECT_SOURCE_DIR}/src/store/include)
# results.h does not expose HDF5, so only the link dependency propagates.
lb_store_link_hdf5(lb_store PRIVATE)

if(LATENTBENCH_BUILD_TESTS)
  # What the harness's Check tests share: scratch directories, HDF5 edits.
  add_library(lb_test_support STATIC tests/support/scratch.c)
  target_include_directories(lb_test_support PUBLIC ${PROJECT_SOURCE_DIR}/tests/support)
  target_link_libraries(lb_test_support PUBLIC PkgConfig::CHECK)
  lb_store_link_hdf5(lb_test_support PUBLIC)

  add_executable(test_store tests/test_store.c)
  target_link_libraries(test_store PRIVATE lb_store lb_util lb_test_support PkgConfig::CHECK m)
  # results_raw.h: the round trips read without lb_results_check (their fixtures
  # hold values no run makes, to test the layout alone).
  target_include_directories(test_store PRIVATE ${PROJECT_SOURCE_DIR}/src/store)
  # The tests build malformed files with HDF5 directly.
  lb_store_link_hdf5(test_store PRIVATE)
  # The suppressions matter only under LATENTBENCH_SANITIZE=address (see the file).
  set(lb_store_test_env
    "CK_DEFAULT_TIMEOUT=600"
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/lsan.supp:fast_unwind_on_malloc=0:print_suppressions=0")
  add_test(NAME test_store COMMAND test_store)
  set_tests_properties(test_store PROPERTIES ENVIRONMENT "${lb_store_test_env}" TIMEOUT 1800)

  # h5py must read what the C writer writes: a setup test writes a known results
  # file and dataset, then the Python check reads them back.
  add_test(NAME test_store_h5py_write
    COMMAND test_store --write ${CMAKE_CURRENT_BINARY_DIR}/test_store_h5py)
  set_tests_properties(test_store_h5py_write PROPERTIES
    FIXTURES_SETUP lb_store_h5py ENVIRONMENT "${lb_store_test_env}")
  add_test(NAME test_store_h5py
    COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/test_store_h5py.py
            ${CMAKE_CURRENT_BINARY_DIR}/test_store_h5py/results.h5
            ${CMAKE_CURRENT_BINARY_DIR}/test_store_h5py/dataset.h5)
  set_tests_properties(test_store_h5py PROPERTIES FIXTURES_REQUIRED lb_store_h5py TIMEOUT 300)

  # Randomly damaged results files through compare, report and baseline show:
  # one line, no crash (tests/test_corrupt_results.py). Fewer copies under the
  # sanitizers, whose start-up makes each command several times slower.
  if(LATENTBENCH_SANITIZE)
    set(lb_corrupt_copies 60)
  else()
    set(lb_corrupt_copies 250)
  endif()
  # detect_leaks=0 as for test_bad_inputs: LeakSanitizer at exit of a run that used OpenMP threads
  # crashes in a thread of the unloaded liblatent (not the reader under test).
  add_test(NAME test_corrupt_results COMMAND ${CMAKE_COMMAND} -E env LB_CORRUPT_COPIES=${lb_corrupt_copies}
    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/test_corrupt_results.py $<TARGET_FILE:latentbench>)
  set_tests_properties(test_corrupt_results PROPERTIES TIMEOUT 900)
  # benchmark_ci.sh compares with the newest baseline that reads, not the newest name.
  add_test(NAME test_ci_baseline_pick COMMAND bash ${PROJECT_SOURCE_DIR}/tests/test_ci_baseline_pick.sh
    $<TARGET_FILE:latentbench> ${PROJECT_SOURCE_DIR})
  set_tests_properties(test_ci_baseline_pick PROPERTIES TIMEOUT 300 ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0")
  unset(lb_corrupt_copies)
  unset(lb_store_test_env)
endif()
