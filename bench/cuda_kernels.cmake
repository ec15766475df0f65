# Each CUDA kernel of train/cuda at the shapes one layer of a preset trains with, timed
# with CUDA events; bytes/s and FLOP/s to set against the GPU's HBM bandwidth and peak.
if(CAIRN_CUDA)
  cairn_add_benchmark(cuda_kernel_bench SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cuda_kernels.cpp
    LIBS cairn_train CUDA::cudart)
endif()
