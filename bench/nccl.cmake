# Host cost of a small NCCL operation through the Communicator against the same NCCL
# calls made directly: what is left of the gap to nccl-tests at small sizes.
if(CAIRN_CUDA)
  cairn_add_benchmark(nccl_launch_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/nccl_launch_bench.cpp
    LIBS cairn_collectives cairn_nccl CUDA::cudart)
endif()
