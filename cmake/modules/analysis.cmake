# analysis/: figures, the HTML report and the Markdown summary from results
# files (docs/ANALYSIS.md), in Python with Debian's h5py, numpy, matplotlib and
# scipy; `latentbench report --format html` runs analysis/report.py, installed
# with the command (cmake/modules/cli.cmake).

if(LATENTBENCH_BUILD_TESTS)
  # pytest on results files the latentbench under test writes (one and two
  # ranks), the pages opened in headless Chromium. pytest exits 5 when it
  # collects no test: like every non-zero status, ctest counts it a failure.
  add_test(NAME test_analysis COMMAND ${CMAKE_COMMAND} -E env
    LATENTBENCH=$<TARGET_FILE:latentbench> MPIEXEC=${MPIEXEC_EXECUTABLE}
    PYTHONDONTWRITEBYTECODE=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    /usr/bin/python3 -m pytest -q -p no:cacheprovider ${PROJECT_SOURCE_DIR}/tests/analysis)
  set_tests_properties(test_analysis PROPERTIES TIMEOUT 900)
endif()
