# lb_loader: liblatent as a table of its API functions, resolved with dlopen
# from one build of the library; the harness never links the kernel library.
add_library(latent_headers INTERFACE)
target_include_directories(latent_headers INTERFACE ${PROJECT_SOURCE_DIR}/include)

add_library(lb_loader STATIC src/loader/loader.c)
target_include_directories(lb_loader PUBLIC ${PROJECT_SOURCE_DIR}/src/loader/include)
target_link_libraries(lb_loader PUBLIC lb_util latent_headers PRIVATE ${CMAKE_DL_LIBS})
target_compile_definitions(lb_loader PRIVATE
  LB_LATENT_SONAME="liblatent.so.${PROJECT_VERSION_MAJOR}"
  LB_INSTALL_LIBDIR="${CMAKE_INSTALL_LIBDIR}")

if(LATENTBENCH_BUILD_TESTS)
  # What --lib must refuse: a library without liblatent's API (test_cli).
  add_library(lb_test_not_latent SHARED tests/support/not_latent.c)
endif()
