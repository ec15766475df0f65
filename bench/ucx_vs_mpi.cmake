# Cairn's UCX all_reduce against Open MPI's MPI_Allreduce in one
# mpirun (scripts/bench-ucx-vs-mpi.sh writes docs/bench-ucx-vs-mpi.md). Built where MPI's
# C bindings are found (libopenmpi-dev, installed by scripts/deps.sh).
find_package(MPI COMPONENTS C QUIET)
if(MPI_C_FOUND)
  add_executable(bench_ucx_vs_mpi ${CMAKE_CURRENT_SOURCE_DIR}/ucx_vs_mpi.cpp)
  target_link_libraries(bench_ucx_vs_mpi PRIVATE cairn_collectives MPI::MPI_C)
  # The C API from C++: keep mpi.h from pulling in the deprecated C++ bindings.
  target_compile_definitions(bench_ucx_vs_mpi PRIVATE OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
  cairn_target_defaults(bench_ucx_vs_mpi)
  set_target_properties(bench_ucx_vs_mpi PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
else()
  message(STATUS "MPI (C) not found: bench_ucx_vs_mpi is not built (apt-get install libopenmpi-dev)")
endif()
