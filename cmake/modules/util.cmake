# lb_util: the harness's allocator, error codes and atomic file output.
add_library(lb_util STATIC src/util/alloc.c src/util/error.c src/util/fileio.c)
target_include_directories(lb_util PUBLIC ${PROJECT_SOURCE_DIR}/include)
