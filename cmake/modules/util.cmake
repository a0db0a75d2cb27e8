# lb_util: the harness's allocator, error codes and atomic file output.
add_library(lb_util STATIC src/util/alloc.c src/util/error.c src/util/fileio.c)
# A module exposes only its interface headers (src/<module>/include/latentbench/);
# the headers private to it stay beside its sources.
target_include_directories(lb_util PUBLIC ${PROJECT_SOURCE_DIR}/src/util/include)
