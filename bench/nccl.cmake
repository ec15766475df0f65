# Host cost of a small NCCL operation through the Communicator against the same NCCL
# calls made directly (issue 3, done-when 4: cairn bench beside nccl-tests at small sizes).
if(CAIRN_CUDA)
  cairn_add_benchmark(nccl_launch_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/nccl_launch_bench.cpp
    LIBS cairn_collectives cairn_nccl CUDA::cudart)
endif()
