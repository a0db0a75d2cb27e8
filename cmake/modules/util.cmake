# lb_util: the harness's allocator and error codes.
add_library(lb_util STATIC src/util/alloc.c src/util/error.c)
target_include_directories(lb_util PUBLIC ${PROJECT_SOURCE_DIR}/include)
