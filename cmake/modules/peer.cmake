# liblatent_faiss.so: FAISS's flat indexes behind liblatent's C ABI, the peer the
# `peers` suite measures liblatent against (docs/PEERS.md). Built only when FAISS
# is found (LATENTBENCH_PEERS=AUTO) or required (ON); C++ is enabled only then, so
# the rest of the project stays C and builds without FAISS. Included from the top
# level: enable_language must run there.
set(LB_PEER_BUILT OFF)
if(NOT LATENTBENCH_PEERS STREQUAL "OFF")
  find_path(FAISS_INCLUDE_DIR faiss/IndexFlat.h)
  find_library(FAISS_LIBRARY NAMES faiss)
  set(lb_peer_why "")
  if(NOT FAISS_INCLUDE_DIR OR NOT FAISS_LIBRARY)
    set(lb_peer_why "FAISS not found (faiss/IndexFlat.h and libfaiss; Debian: libfaiss-dev)")
  elseif(LATENTBENCH_FUZZ)
    set(lb_peer_why "not with LATENTBENCH_FUZZ (the fuzz build is C with clang's libFuzzer flags)")
  else()
    include(CheckLanguage)
    check_language(CXX)
    if(NOT CMAKE_CXX_COMPILER)
      set(lb_peer_why "no C++ compiler")
    endif()
  endif()
  if(lb_peer_why STREQUAL "")
    enable_language(CXX)
    set(CMAKE_CXX_STANDARD 17)
    set(CMAKE_CXX_STANDARD_REQUIRED ON)
    set(CMAKE_CXX_FLAGS_RELEASE "-O3 -DNDEBUG")
    find_package(OpenMP COMPONENTS CXX)
    find_package(BLAS)
    find_package(LAPACK)
    if(NOT OpenMP_CXX_FOUND OR NOT BLAS_FOUND OR NOT LAPACK_FOUND)
      set(lb_peer_why "FAISS needs OpenMP (C++), BLAS and LAPACK")
    endif()
  endif()
  if(NOT lb_peer_why STREQUAL "")
    if(LATENTBENCH_PEERS STREQUAL "ON")
      message(FATAL_ERROR "LATENTBENCH_PEERS=ON: ${lb_peer_why}")
    endif()
    message(STATUS "latentbench: the FAISS peer (liblatent_faiss.so) is not built: ${lb_peer_why}")
  else()
    set(LB_PEER_BUILT ON)
    message(STATUS "latentbench: building the FAISS peer liblatent_faiss.so (${FAISS_LIBRARY})")
    add_library(latent_faiss SHARED src/peer/faiss_latent.cpp)
    target_include_directories(latent_faiss PRIVATE ${PROJECT_SOURCE_DIR}/include ${FAISS_INCLUDE_DIR})
    # Debian ships libfaiss.a only (position-independent): it goes inside the peer,
    # which then loads alone, with its BLAS, through dlopen.
    target_link_libraries(latent_faiss PRIVATE ${FAISS_LIBRARY} OpenMP::OpenMP_CXX ${LAPACK_LIBRARIES}
      ${BLAS_LIBRARIES})
    # Exactly liblatent's ABI and the two lt_peer_* functions leave the library
    # (FAISS's own symbols stay inside it and cannot mix with anything loaded beside it).
    set_target_properties(latent_faiss PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
    target_link_options(latent_faiss PRIVATE -Wl,--exclude-libs,ALL
      -Wl,--version-script=${PROJECT_SOURCE_DIR}/src/peer/faiss_latent.map)
    set_target_properties(latent_faiss PROPERTIES LINK_DEPENDS ${PROJECT_SOURCE_DIR}/src/peer/faiss_latent.map)
    install(TARGETS latent_faiss LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

    if(LATENTBENCH_BUILD_TESTS)
      # The peer's answers against liblatent's on seeded data (both loaded as
      # the harness loads them), its refusals, and batch against single.
      add_executable(test_peer tests/test_peer.c)
      target_link_libraries(test_peer PRIVATE lb_loader PkgConfig::CHECK m)
      add_dependencies(test_peer latent latent_faiss)
      add_test(NAME test_peer COMMAND test_peer $<TARGET_FILE:latent> $<TARGET_FILE:latent_faiss>)
      set_tests_properties(test_peer PROPERTIES ENVIRONMENT "CK_DEFAULT_TIMEOUT=120;OMP_NUM_THREADS=2" TIMEOUT 300)
      # latentbench run over a tiny peers suite: paired rows, impl, the ratio.
      add_test(NAME test_peers_run COMMAND ${CMAKE_COMMAND} -E env
        LATENTBENCH=$<TARGET_FILE:latentbench> LB_SOURCE_DIR=${PROJECT_SOURCE_DIR}
        LB_PEER_LIB=$<TARGET_FILE:latent_faiss> OMP_NUM_THREADS=2
        LATENTBENCH_CHECK_LEAKS=1 ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
        bash ${PROJECT_SOURCE_DIR}/tests/test_peers.sh)
      set_tests_properties(test_peers_run PROPERTIES TIMEOUT 600)
    endif()
  endif()
endif()
