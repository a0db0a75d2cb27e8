# lb_cluster: every MPI call of the harness (docs/CLUSTER.md): start and stop,
# status agreement, the reductions and their custom operations, gathers.
find_package(MPI REQUIRED COMPONENTS C)

add_library(lb_cluster STATIC src/cluster/cluster.c src/cluster/cluster_ops.c)
target_include_directories(lb_cluster PUBLIC ${PROJECT_SOURCE_DIR}/src/cluster/include)
target_link_libraries(lb_cluster PUBLIC lb_util lb_store lb_loader MPI::MPI_C)
